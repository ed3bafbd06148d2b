/**
 * The {@code yarn-memcg} operator commands: {@link io.github.yarnmemcg.cli.Main} parses them,
 * {@link io.github.yarnmemcg.cli.Doctor} checks a node, {@link io.github.yarnmemcg.cli.Sweep} cleans orphan cgroups,
 * {@link io.github.yarnmemcg.cli.Stats} shows container memory; {@link io.github.yarnmemcg.cli.Target} is the node
 * and settings a command works on, {@link io.github.yarnmemcg.cli.Finding} one line of a report.
 *
 * <p>The rule: a command writes nothing but what it says it does (the doctor's probes, removed; the sweep's cleanups,
 * with {@code --apply}), and its exit code says whether all was well.
 */
package io.github.yarnmemcg.cli;
