/*
 * TEST STAND-IN for the setuid bit of Hadoop's container-executor binary, which cannot be obtained on the test
 * machine. Compiled by the test (gcc -DSTAND_IN='"<path of container-executor-stand-in.sh>"'), owned by root with
 * mode 4750 and the unprivileged NodeManager user's group, as the real binary is setuid root and executable only by
 * the NodeManager's group. It becomes root for good and runs the stand-in script with the same arguments, in a clean
 * environment that tells the script it runs with the binary's rights. The test removes it when it ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (setgid(0) != 0 || setuid(0) != 0) {
    perror("container-executor stand-in shim: setuid");
    return 22; /* SETUID_OPER_FAILED */
  }
  char **args = calloc((size_t) argc + 2, sizeof(char *));
  if (args == NULL) {
    return 1;
  }
  args[0] = "/bin/bash";
  args[1] = STAND_IN;
  for (int i = 1; i < argc; i++) {
    args[i + 1] = argv[i];
  }
  char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINER_EXECUTOR_STAND_IN_SETUID=1", NULL};
  execve("/bin/bash", args, env);
  perror("container-executor stand-in shim: exec");
  return 7; /* UNABLE_TO_EXECUTE_CONTAINER_SCRIPT */
}
