/**
 * The container lifecycle, free of Hadoop. {@link io.github.yarnmemcg.lifecycle.ContainerMemcgs} is the door the
 * adapters call: start, resize, completion, sweep. {@link io.github.yarnmemcg.lifecycle.Cleanup} is one finished
 * container's state machine (kill, wait or retire, drain, remove), scheduled by
 * {@link io.github.yarnmemcg.lifecycle.CleanupScheduler}; {@link io.github.yarnmemcg.lifecycle.CleanupPolicy} is
 * which way this node cleans, measured by {@link io.github.yarnmemcg.lifecycle.ReparentProbe}.
 * {@link io.github.yarnmemcg.lifecycle.NodeOomGuard} and {@link io.github.yarnmemcg.lifecycle.VictimOrder} keep all
 * containers together within the node limit in elastic mode.
 *
 * <p>The rule: page cache is evicted only when the policy says nobody will read it again, and never on the path
 * where a container waits; everything slow runs in the background.
 */
package io.github.yarnmemcg.lifecycle;
