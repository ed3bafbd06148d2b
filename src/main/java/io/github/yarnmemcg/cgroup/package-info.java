/**
 * The kernel interface. {@link io.github.yarnmemcg.cgroup.CgroupFs} is the one door to cgroupfs: every read, write,
 * mkdir and rmdir goes through it, and it follows no symbolic link at any depth. Behind the small
 * {@link io.github.yarnmemcg.cgroup.CgroupDriver} interface, {@link io.github.yarnmemcg.cgroup.V1Driver} and
 * {@link io.github.yarnmemcg.cgroup.V2Driver} speak each version's files; {@link io.github.yarnmemcg.cgroup.MemoryStats}
 * is the one reading of a cgroup's memory, {@link io.github.yarnmemcg.cgroup.Backoff} the one retry policy,
 * {@link io.github.yarnmemcg.cgroup.KernelInterfaces} which interface the kernel offers for each function.
 *
 * <p>The rule: what the kernel said is decided by errno ({@link io.github.yarnmemcg.cgroup.CgroupIoException}) or by
 * reading its state again, never by the text of a message. Nothing here knows Hadoop or containers.
 */
package io.github.yarnmemcg.cgroup;
