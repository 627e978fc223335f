// What the launcher closes beyond the chroot: the service never holds the caller's terminal, and it
// cannot reach the host's processes or IPC objects. The generated bash starts the service as
//
//   launch (bash, the caller's pid; passes signals on)
//     -> unshare --fork --kill-child --pid --ipc [--net] [--mount]   (waits, returns the status)
//       -> env -i -> setsid bash: service_init, pid 1 of the new PID namespace, in a session of its own with no
//          controlling terminal; root, outside the jail; reaps every orphan and exits with the
//          service's status (when it exits, the kernel kills whatever is left in the namespace)
//         -> the service (env -i -> setpriv -> chroot -> program), stdin from /dev/null; or, for an
//            interactive jail, script(1) relaying a pseudo-terminal of the jail's own devpts.
//
// A service in the init's session can never get a controlling terminal (only a session leader can), so
// TIOCSTI has no terminal to push into; in its own PID namespace it sees, signals and ptraces no host
// process; in its own IPC namespace it finds no host SysV IPC object or POSIX message queue.
import type { Identity, Manifest } from '../plan/manifest.js';
import { HOST_TOOLS, LAUNCHER_PATH } from './host-tools.js';
import { shellQuote } from './shell-quote.js';

type Run = NonNullable<Manifest['run']>;

/** Signals the launcher passes on to the service (through its init); a terminal's window size too when interactive. */
export const PASSED_SIGNALS = ['TERM', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2'] as const;

/** unshare's namespace options for `run`: every isolation the recipe did not give up. */
export function namespaceOptions(run: Run): string[] {
  const shared = new Set((run.share ?? []).map((s) => s.namespace));
  return [
    ...(shared.has('pid') ? [] : ['--pid']),
    ...(shared.has('ipc') ? [] : ['--ipc']),
    ...(run.network === 'none' ? ['--net'] : []),
    ...(run.pts ? ['--mount', '--propagation', 'private'] : []),
  ];
}

function passedSignals(run: Run): string[] {
  return run.interactive ? [...PASSED_SIGNALS, 'WINCH'] : [...PASSED_SIGNALS];
}

/** The bash functions the launcher's main() ends with: `start_service COMMAND...`. */
export function isolation(run: Run, identity: Identity | null): string {
  const signals = passedSignals(run).join(' ');
  return `${serviceInit(run, identity, signals)}
wait_for() { # wait_for PID: its exit status in WAITED; a trapped signal ends wait early, so wait again
  while :; do
    CAUGHT=
    wait "$1" && WAITED=0 || WAITED=$?
    [ -n "$CAUGHT" ] || return 0
  done
}

service_pid() { # service_pid UNSHARE: the service's host pid once the init sent it down READY; nothing if UNSHARE ends first
  local pid=
  while kill -0 "$1" 2>/dev/null; do
    if read -r -t 0.05 pid <&"$READY"; then printf '%s' "$pid"; return 0; fi
  done
}

pass_on() { # pass_on SIGNAL: to the service; kept until it runs
  CAUGHT=1
  if [ -n "\${SERVICE_PID:-}" ]; then kill -s "$1" "$SERVICE_PID" 2>/dev/null || true; else PENDING+=("$1"); fi
}

start_service() { # start_service COMMAND...: in namespaces of its own, without the caller's terminal
  local signal unshare
  SERVICE_PID= PENDING=()
  for signal in ${signals}; do trap "pass_on $signal" "$signal"; done
  rm -f -- "$PIDFILE"
  exec {READY}<> <(:) # a pipe the init sends the service's pid down: read at once, no polling of the pid file
  ${HOST_TOOLS.unshare} --fork --kill-child ${namespaceOptions(run).join(' ')} -- ${HOST_TOOLS.env} -i PATH=${LAUNCHER_PATH} HOME=/ SHELL=${HOST_TOOLS.bash} ${HOST_TOOLS.setsid} ${HOST_TOOLS.bash} --norc --noprofile -c "$(declare -p JAIL PIDFILE READY; declare -f fail wait_for service_init); service_init \\"\\$@\\"" mkjail-init "$@" &
  unshare=$!
  SERVICE_PID=$(service_pid "$unshare")
  exec {READY}<&-
  for signal in "\${PENDING[@]}"; do pass_on "$signal"; done
  wait_for "$unshare"
  rm -f -- "$PIDFILE"
  return "$WAITED"
}
`;
}

/**
 * service_init: pid 1 of the service's PID namespace. It writes the service's host pid to DIR/NAME.pid and
 * sends it down the launcher's READY pipe (the launcher passes signals on to it); the service itself
 * never holds that pipe. It exits with the service's status.
 */
function serviceInit(run: Run, identity: Identity | null, signals: string): string {
  return `service_init() { # pid 1 of the service's namespaces: starts it, reaps, returns its status
  set -u
  local service self children=
  trap 'CAUGHT=1' ${signals} # caught, not ignored: the service starts with default dispositions
${prepareNamespace(run, identity)}  ${startCommand(run)} {READY}>&- &
  service=$!
  read -r self _ < /proc/self/stat # the host's pid of this init: /proc is the host's
  # The file ends without a newline, so read reports end of file even when it read the pid.
  { read -r children < "/proc/$self/task/$self/children"; } 2>/dev/null || true
  printf '%s\\n' "\${children%% *}" > "$PIDFILE" || true
  printf '%s\\n' "\${children%% *}" >&"$READY" || true
  exec {READY}>&-
  wait_for "$service"
  exit "$WAITED"
}
`;
}

/** Set-up inside the new namespaces, as root, before the service starts: loopback up, the jail's devpts. */
function prepareNamespace(run: Run, identity: Identity | null): string {
  const lines: string[] = [];
  if (run.network === 'none') {
    lines.push(`${HOST_TOOLS.ip} link set lo up || fail "Can't start the jail at $JAIL: loopback of its network namespace did not come up"`);
  }
  if (run.pts) {
    const owner = identity ? `,uid=${identity.uid},gid=${identity.gid}` : '';
    lines.push(
      `${HOST_TOOLS.mount} -t devpts -o newinstance,ptmxmode=0666,mode=0600${owner} mkjail-devpts "$JAIL/dev/pts" || fail "Can't start the jail at $JAIL: devpts could not be mounted at $JAIL/dev/pts"`,
    );
  }
  if (run.interactive) {
    // script(1) opens /dev/ptmx: in this mount namespace that is the jail's own instance.
    lines.push(`${HOST_TOOLS.mount} --bind "$JAIL/dev/pts/ptmx" /dev/ptmx || fail "Can't start the jail at $JAIL: its /dev/pts/ptmx could not be bound to /dev/ptmx"`);
  }
  return lines.map((line) => `  ${line}\n`).join('');
}

/** A daemon reads nothing from the caller: stdin is /dev/null. A human's program gets script(1)'s relay. */
function startCommand(run: Run): string {
  if (!run.interactive) return '"$@" < /dev/null';
  return `SHELL=${HOST_TOOLS.bash} ${HOST_TOOLS.script} --quiet --return --command "\${*@Q}" /dev/null`;
}

/** Checks, before anything starts, that the tools a recipe's isolation needs are on the host. */
export function checkTools(run: Run): string {
  const needed: Array<{ tool: string; why: string; package: string }> = [];
  if (run.network === 'none') needed.push({ tool: HOST_TOOLS.ip, why: "run.network is 'none'", package: 'iproute2' });
  if (run.interactive) needed.push({ tool: HOST_TOOLS.script, why: 'run.interactive relays a pseudo-terminal', package: 'util-linux' });
  return needed
    .map(({ tool, why, package: debian }) => `  [ -x ${tool} ] || fail ${shellQuote(`Can't start the jail: ${tool} is missing (${why}) (fix: apt-get install ${debian})`)}\n`)
    .join('');
}
