/**
 * yarn-memcg: per-container memory cgroups for Hadoop YARN's NodeManager. The packages depend one way:
 * {@code cli} and {@code nodemanager} (Hadoop adapters) on {@code lifecycle} (the policy), on {@code cgroup} (the
 * kernel). {@link io.github.yarnmemcg.Version} is the one version the jar, the commands and the log print.
 */
package io.github.yarnmemcg;
