package io.github.yarnmemcg.cgroup;

import java.io.IOException;

/**
 * Which {@link CgroupDriver} a memory controller's mount gets: {@link V1Driver} on a v1 hierarchy, {@link V2Driver} on
 * the unified one. Apart from the interface, so that the interface knows none of its drivers.
 */
public final class CgroupDrivers {
  private CgroupDrivers() {}

  /**
   * The driver for the memory controller at this mount, through a door opened on it.
   *
   * @throws IOException when the mount is not a cgroup filesystem
   */
  public static CgroupDriver forMount(MemoryMount mount) throws IOException {
    return forMount(mount, CgroupFs.open(mount.path()));
  }

  /** The driver for this mount through the given door (a stand-in directory in tests). */
  public static CgroupDriver forMount(MemoryMount mount, CgroupFs fs) {
    return mount.version() == CgroupVersion.V1 ? new V1Driver(mount, fs) : new V2Driver(mount, fs);
  }
}
