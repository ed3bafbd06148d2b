/**
 * The {@code yarn-memcg} operator commands: {@link io.github.yarnmemcg.cli.Main} parses them,
 * {@link io.github.yarnmemcg.cli.Doctor} checks a node, {@link io.github.yarnmemcg.cli.Sweep} cleans orphan cgroups,
 * {@link io.github.yarnmemcg.cli.Stats} shows container memory; {@link io.github.yarnmemcg.cli.Target} is the node
 * and settings a command works on, {@link io.github.yarnmemcg.cli.Finding} one line of a report.
 *
 * <p>The doctor runs one small class per check, each adding findings to one list: {@code RuntimeCheck},
 * {@code MountsCheck}, {@code DelegationCheck}, {@code RootCheck}, {@code FeatureCheck},
 * {@code NodeMemoryCheck}, {@code DyingCheck}, {@code CleanupCheck}, {@code LeftoverCheck},
 * {@link io.github.yarnmemcg.cli.YarnSiteCheck} and {@code CpuCheck}, in the order they print;
 * {@link io.github.yarnmemcg.cli.DoctorReport} prints the list as text or JSON and gives the exit code. A check knows
 * {@link io.github.yarnmemcg.cli.Target} and {@link io.github.yarnmemcg.cli.Finding}, never the doctor.
 *
 * <p>The rule: a command writes nothing but what it says it does (the doctor's probes, removed; the sweep's cleanups,
 * with {@code --apply}), and its exit code says whether all was well.
 */
package io.github.yarnmemcg.cli;
