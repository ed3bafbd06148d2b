/**
 * Thin adapters between Hadoop's NodeManager and the lifecycle.
 * {@link io.github.yarnmemcg.nodemanager.MemcgContainerExecutor} and
 * {@link io.github.yarnmemcg.nodemanager.MemcgLceResourcesHandler} are the two entry points (DefaultContainerExecutor
 * and LinuxContainerExecutor), both over {@link io.github.yarnmemcg.nodemanager.MemcgPlugin};
 * {@link io.github.yarnmemcg.nodemanager.MemcgConfiguration} reads and checks every {@code yarn.nodemanager.memcg.*}
 * key, listed in {@link io.github.yarnmemcg.nodemanager.MemcgKeys}, each read by
 * {@link io.github.yarnmemcg.nodemanager.KeyParser}, the root placed in the mount through cgroupfs's one door by
 * {@link io.github.yarnmemcg.nodemanager.MemcgRoot}; {@link io.github.yarnmemcg.nodemanager.MemcgProcessTree} is the
 * container monitor's view,
 * {@link io.github.yarnmemcg.nodemanager.MemcgMetrics} the metrics2 source.
 *
 * <p>The rule: Hadoop types stop here. A bad setting stops the NodeManager at start with a message naming the key and
 * the value.
 */
package io.github.yarnmemcg.nodemanager;
