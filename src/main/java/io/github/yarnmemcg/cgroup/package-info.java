/**
 * The kernel interface. {@link io.github.yarnmemcg.cgroup.CgroupFs} is the one door to cgroupfs: every read, write,
 * mkdir and rmdir goes through it, and it follows no symbolic link at any depth; behind it, split by job,
 * {@code LinkFreeWalk} reaches directories, {@code ControlFiles} reads and writes one file, and
 * {@link io.github.yarnmemcg.cgroup.CgroupDirectory} and {@link io.github.yarnmemcg.cgroup.OpenCgroupFile} are the
 * handles it gives out. Behind the {@link io.github.yarnmemcg.cgroup.CgroupDriver} interface (one memory cgroup),
 * {@link io.github.yarnmemcg.cgroup.V1Driver} and {@link io.github.yarnmemcg.cgroup.V2Driver} speak each version's
 * files ({@code V2Stats} reads v2's figures, {@code V2Controllers} its controller lists), and
 * {@link io.github.yarnmemcg.cgroup.CgroupDrivers} chooses one for a mount; CPU, which only v2 has in the same cgroups, is a
 * {@link io.github.yarnmemcg.cgroup.CpuDriver} of its own ({@code V2CpuDriver}). The values:
 * {@link io.github.yarnmemcg.cgroup.MemoryStats}, the one reading of a cgroup's memory, built by name with every
 * figure the kernel did not report {@code UNKNOWN}; {@link io.github.yarnmemcg.cgroup.KeyValues}, the parser of the
 * kernel's "key value" text; {@link io.github.yarnmemcg.cgroup.Backoff}, the one retry policy;
 * {@link io.github.yarnmemcg.cgroup.KernelInterfaces}, which interface the kernel offers for each function.
 *
 * <p>The rule: what the kernel said is decided by errno ({@link io.github.yarnmemcg.cgroup.CgroupIoException}) or by
 * reading its state again, never by the text of a message. Nothing here knows Hadoop or containers.
 */
package io.github.yarnmemcg.cgroup;
