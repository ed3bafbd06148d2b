package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelInterfacesTest {

  @Test
  void describesEachFunctionWithTheInterfaceItUses() {
    KernelInterfaces old = KernelInterfaces.of(KernelInterfaces.Drain.HIGH_ZERO,
        KernelInterfaces.Kill.FREEZE_THEN_SIGNAL, KernelInterfaces.Peak.SAMPLED, KernelInterfaces.Psi.OFF);
    String d = old.describe();
    assertTrue(d.startsWith("drain: memory.high set to 0"), d);
    assertTrue(d.contains("; kill: cgroup.freeze, then SIGKILL"), d);
    assertTrue(d.contains("; peak: sampled memory.current"), d);
    assertTrue(d.contains("; pressure: off: "), d);
    assertEquals(d, old.toString());
  }

  @Test
  void isAValue() {
    KernelInterfaces a = KernelInterfaces.of(KernelInterfaces.Drain.RECLAIM, KernelInterfaces.Kill.CGROUP_KILL,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.ON);
    assertEquals(a, KernelInterfaces.of(KernelInterfaces.Drain.RECLAIM, KernelInterfaces.Kill.CGROUP_KILL,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.ON));
    assertEquals(a.hashCode(), KernelInterfaces.of(KernelInterfaces.Drain.RECLAIM, KernelInterfaces.Kill.CGROUP_KILL,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.ON).hashCode());
    assertNotEquals(a, KernelInterfaces.of(KernelInterfaces.Drain.HIGH_ZERO, KernelInterfaces.Kill.CGROUP_KILL,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.ON));
    assertThrows(NullPointerException.class, () -> KernelInterfaces.of(null, KernelInterfaces.Kill.CGROUP_KILL,
        KernelInterfaces.Peak.KERNEL, KernelInterfaces.Psi.ON));
  }
}
