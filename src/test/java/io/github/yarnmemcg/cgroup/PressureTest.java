package io.github.yarnmemcg.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** memory.pressure as the kernel writes it, and text that must not read as "no pressure". */
class PressureTest {

  @Test
  void parsesBothLines() {
    Pressure p = Pressure.parse("some avg10=1.25 avg60=0.50 avg300=0.10 total=2000123\n"
        + "full avg10=0.75 avg60=0.25 avg300=0.05 total=1000456\n").orElseThrow();
    assertEquals(1.25, p.someAvg10());
    assertEquals(0.50, p.someAvg60());
    assertEquals(2000123, p.someTotalMicros());
    assertEquals(0.75, p.fullAvg10());
    assertEquals(0.25, p.fullAvg60());
    assertEquals(1000456, p.fullTotalMicros());
    assertTrue(p.toString().contains("some avg10=1.25") && p.toString().contains("total=1000.5 ms"), p.toString());
  }

  @Test
  void aMissingLineOrFieldOrANumberThatIsNoneIsUnknownNotZero() {
    assertEquals(Optional.empty(), Pressure.parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"));
    assertEquals(Optional.empty(), Pressure.parse("some avg10=0.00 avg300=0.00 total=0 x=1\n"
        + "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"));
    assertEquals(Optional.empty(), Pressure.parse("some avg10=zero avg60=0.00 avg300=0.00 total=0\n"
        + "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"));
    assertEquals(Optional.empty(), Pressure.parse(""));
  }
}
