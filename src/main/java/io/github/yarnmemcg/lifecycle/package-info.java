/**
 * The container lifecycle, free of Hadoop. {@link io.github.yarnmemcg.lifecycle.ContainerMemcgs} is the door the
 * adapters call: start, resize, completion, sweep; behind it, each job has its class: the root's preparation and node
 * limit ({@code NodeRoot}), a container's cgroup and limits ({@code ContainerLimits}), the OOM watcher and elastic
 * guard ({@code OomWiring}), the completion path ({@code Completions}), the orphan sweep ({@code OrphanSweep}) and the
 * cleanups under way ({@code Cleanups}), none of which knows the door.
 * {@link io.github.yarnmemcg.lifecycle.Cleanup} is one finished container's state machine (kill, wait or retire,
 * drain, remove), scheduled by {@link io.github.yarnmemcg.lifecycle.CleanupScheduler}, seeing its root's cleanups only
 * as a {@code CleanupOwner};
 * {@link io.github.yarnmemcg.lifecycle.CleanupPolicy} is which way this node cleans, measured by
 * {@link io.github.yarnmemcg.lifecycle.ReparentProbe}. {@link io.github.yarnmemcg.lifecycle.NodeOomGuard} and
 * {@link io.github.yarnmemcg.lifecycle.VictimOrder} keep all containers together within the node limit in elastic
 * mode.
 *
 * <p>The rule: page cache is evicted only when the policy says nobody will read it again, and never on the path
 * where a container waits; everything slow runs in the background.
 */
package io.github.yarnmemcg.lifecycle;
