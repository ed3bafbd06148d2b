#!/bin/bash
# TEST STAND-IN for Hadoop's setuid container-executor binary, which cannot be obtained on the test machine.
# It takes the argv that LinuxContainerExecutor 3.5.0 passes (see PrivilegedOperation, DefaultLinuxContainerRuntime,
# LinuxContainerExecutor and the binary's impl/main.c) and, for the operations a MiniYARNCluster run needs, does
# what the real binary does, in the same order, with the same exit codes:
#   --checksetup                                   exit 0
#   <run-as> <user> 1 <app> <container> <workdir> <script> <tokens> --http|--https <ks> <ts> <pidfile>
#                    <local-dirs> <log-dirs> cgroups=<file>[%<file>...]|cgroups=none [<tc-file>]
#        fork; the child calls setsid, writes its pid to <pidfile> (tmp + rename), writes the same pid to every
#        cgroups= file (refusing a file that is not on cgroupfs, exit 27), creates the container's work, log and
#        tmp dirs, copies the script to <workdir>/launch_container.sh (0700) and the tokens to container_tokens
#        (0600), cd <workdir>, umask 0027, closes stdin/stdout/stderr and execs the script; the parent waits,
#        writes the child's exit code (128+signal when killed) to <pidfile>.exitcode and exits with it.
#   <run-as> <user> 2 <pid> <signal>                signals the process group -<pid>, or the process <pid> when it
#        leads no group; exit 9 when it is gone, 8 when the signal is refused. Started through the test's setuid
#        shim (CONTAINER_EXECUTOR_STAND_IN_SETUID=1, running as root), it first becomes <run-as>, as the binary does.
#   <run-as> <user> 3 <subdir> [<basedir>...]       recursive delete of <basedir>/<subdir> (or <subdir>)
#   <run-as> <user> 5 <dir>                         lists <dir>
# What it does NOT do (the real binary does): read and permission-check container-executor.cfg; check its own
# root ownership, setuid bit and nodemanager group; refuse root, banned users and uids below min.user.id;
# switch to the run-as user (everything here runs as the invoking user, root in most tests; only the signal
# operation switches, when started through the setuid shim); check that the NM
# local dirs are owned by the NM user; create private /tmp and /var/tmp dirs; initialize a container's
# localizer (command 0), docker/runc, traffic control, sysfs sync, cgroup mounting: those exit 3 or 32.
# Safety: it writes and deletes only under the directory named in stand-in.allowed-root next to it.
# Every call appends its argv and what it did to stand-in.log next to it; the tests read that log.
set -u
here=$(cd "$(dirname "$0")" && pwd)
log="$here/stand-in.log"
allowed=$(cat "$here/stand-in.allowed-root")

note() { printf '%s\n' "$*" >> "$log"; }
inside() {
  case "$1" in
    "$allowed"/*) return 0 ;;
    *) note "refused: $1 is outside $allowed"; return 1 ;;
  esac
}

# Exit codes of container-executor.h / LinuxContainerExecutor.ExitCode.
INVALID_ARGUMENT_NUMBER=1
INVALID_COMMAND_PROVIDED=3
UNABLE_TO_EXECUTE_CONTAINER_SCRIPT=7
UNABLE_TO_SIGNAL_CONTAINER=8
INVALID_CONTAINER_PID=9
WRITE_PIDFILE_FAILED=26
WRITE_CGROUP_FAILED=27
FEATURE_DISABLED=32
COULD_NOT_CREATE_SCRIPT_COPY=33
COULD_NOT_CREATE_CREDENTIALS_FILE=34
COULD_NOT_CREATE_WORK_DIRECTORIES=35
COULD_NOT_CREATE_APP_LOG_DIRECTORIES=36
COULD_NOT_CREATE_TMP_DIRECTORIES=37

# The launched container: runs as the new session leader, so $$ is the pid the NodeManager signals.
container_child() {
  local user=$1 app=$2 cid=$3 workdir=$4 script=$5 tokens=$6 https=$7 keystore=$8 truststore=$9
  local pidfile=${10} localdirs=${11} logdirs=${12} key=${13} value=${14}
  local pid=$$
  { printf '%s' "$pid" > "$pidfile.tmp" && mv -f "$pidfile.tmp" "$pidfile"; } || exit $WRITE_PIDFILE_FAILED
  if [ "$key" = cgroups ]; then
    local files f
    IFS=% read -r -a files <<< "$value"
    for f in "${files[@]}"; do
      [ "$f" = none ] && continue
      case "$(stat -f -c %T "$f" 2>/dev/null)" in
        cgroupfs | cgroup2fs) ;;
        *) note "launch $cid: $f is not on a cgroup filesystem"; exit $WRITE_CGROUP_FAILED ;;
      esac
      printf '%s' "$pid" >> "$f" || { note "launch $cid: cannot write pid $pid to $f"; exit $WRITE_CGROUP_FAILED; }
      note "launch $cid: wrote pid $pid to $f"
    done
  fi
  local d
  IFS=% read -r -a dirs <<< "$localdirs"
  for d in "${dirs[@]}"; do
    mkdir -p -m 0710 "$d/usercache/$user/appcache/$app/$cid" || exit $COULD_NOT_CREATE_WORK_DIRECTORIES
  done
  IFS=% read -r -a dirs <<< "$logdirs"
  for d in "${dirs[@]}"; do
    mkdir -p -m 0750 "$d/$app/$cid" || exit $COULD_NOT_CREATE_APP_LOG_DIRECTORIES
  done
  mkdir -p -m 0710 "$workdir/tmp" || exit $COULD_NOT_CREATE_TMP_DIRECTORIES
  install -m 0700 "$script" "$workdir/launch_container.sh" || exit $COULD_NOT_CREATE_SCRIPT_COPY
  install -m 0600 "$tokens" "$workdir/container_tokens" || exit $COULD_NOT_CREATE_CREDENTIALS_FILE
  if [ "$https" = 1 ]; then
    install -m 0600 "$keystore" "$workdir/yarn_provided.keystore" || exit $COULD_NOT_CREATE_CREDENTIALS_FILE
    install -m 0600 "$truststore" "$workdir/yarn_provided.truststore" || exit $COULD_NOT_CREATE_CREDENTIALS_FILE
  fi
  cd "$workdir" || exit $COULD_NOT_CREATE_WORK_DIRECTORIES
  umask 0027
  exec 0<&- 1>&- 2>&-
  exec "$workdir/launch_container.sh"
  exit $UNABLE_TO_EXECUTE_CONTAINER_SCRIPT
}

if [ "${1:-}" = --stand-in-container ]; then
  shift
  container_child "$@"
fi

{ printf 'argv:'; printf ' [%s]' "$@"; printf '\n'; } >> "$log"

case "${1:-}" in
  --checksetup) exit 0 ;;
  --*) note "unsupported operation $1"; exit $FEATURE_DISABLED ;;
esac
[ $# -ge 4 ] || exit $INVALID_ARGUMENT_NUMBER
run_as=$1
user=$2
command=$3
shift 3

case "$command" in
  1)
    (( $# >= 10 && $# <= 13 )) || { note "launch: wrong number of arguments"; exit $INVALID_ARGUMENT_NUMBER; }
    app=$1 cid=$2 workdir=$3 script=$4 tokens=$5
    shift 5
    https=0 keystore= truststore=
    if [ "$1" = --https ]; then
      https=1 keystore=$2 truststore=$3
      shift 3
    else
      shift
    fi
    (( $# >= 4 )) || { note "launch: wrong number of arguments"; exit $INVALID_ARGUMENT_NUMBER; }
    pidfile=$1 localdirs=$2 logdirs=$3 resources=$4
    shift 4
    (( $# == 0 )) || { note "launch: traffic control is not supported"; exit $FEATURE_DISABLED; }
    case "$resources" in
      *=*) key=${resources%%=*} value=${resources#*=} ;;
      *) note "launch: invalid resources argument $resources"; exit $INVALID_ARGUMENT_NUMBER ;;
    esac
    inside "$workdir" && inside "$pidfile" || exit $COULD_NOT_CREATE_WORK_DIRECTORIES
    # setsid(1) does not fork here: a background job of a shell without job control is no group leader, so the
    # session leader keeps the pid that $! reports, as the real binary's fork + setsid() does.
    setsid /bin/bash "$0" --stand-in-container "$user" "$app" "$cid" "$workdir" "$script" "$tokens" "$https" \
      "$keystore" "$truststore" "$pidfile" "$localdirs" "$logdirs" "$key" "$value" &
    child=$!
    wait "$child"
    rc=$?
    { printf '%s' "$rc" > "$pidfile.exitcode.tmp" && mv -f "$pidfile.exitcode.tmp" "$pidfile.exitcode"; } \
      || note "launch $cid: cannot write the exit code file"
    note "launch $cid: pid $child exited $rc"
    exit $rc
    ;;
  2)
    (( $# == 2 )) || exit $INVALID_ARGUMENT_NUMBER
    pid=$1 sig=$2
    [[ "$pid" =~ ^-?[0-9]+$ && "$sig" =~ ^[0-9]+$ ]] || exit $INVALID_ARGUMENT_NUMBER
    (( pid > 0 )) || exit $INVALID_CONTAINER_PID
    as=()
    if [ "${CONTAINER_EXECUTOR_STAND_IN_SETUID:-}" = 1 ]; then
      as=(setpriv --reuid="$(id -u "$run_as")" --regid="$(id -g "$run_as")" --clear-groups --)
    fi
    # Whether the group or the process exists is read from /proc, not from what kill(1) prints.
    if pgrep -g "$pid" > /dev/null; then
      target=-$pid what="process group $pid"
    elif [ -d "/proc/$pid" ]; then
      target=$pid what="process $pid"
    else
      note "signal $sig: process group $pid is gone"
      exit $INVALID_CONTAINER_PID
    fi
    if ! "${as[@]}" kill "-$sig" -- "$target" 2>/dev/null; then
      pgrep -g "$pid" > /dev/null || [ -d "/proc/$pid" ] || exit $INVALID_CONTAINER_PID
      note "signal $sig: refused for $what as $(id -un)"
      exit $UNABLE_TO_SIGNAL_CONTAINER
    fi
    note "signal $sig: sent to $what${as:+ as $run_as}"
    exit 0
    ;;
  3)
    subdir=${1:-}
    (( $# > 0 )) && shift
    targets=()
    if (( $# == 0 )); then
      targets=("$subdir")
    else
      for base in "$@"; do
        if [ -z "$subdir" ]; then targets+=("$base"); else targets+=("$base/$subdir"); fi
      done
    fi
    rc=0
    for t in "${targets[@]}"; do
      inside "$t" || { rc=255; continue; }
      rm -rf -- "$t" || rc=255
      note "delete: $t"
    done
    exit $rc
    ;;
  5)
    (( $# >= 1 )) || exit $INVALID_ARGUMENT_NUMBER
    inside "$1" || exit 255
    ls -A1 -- "$1" || exit 255
    exit 0
    ;;
  *)
    note "command $command is not supported by the stand-in"
    exit $INVALID_COMMAND_PROVIDED
    ;;
esac
