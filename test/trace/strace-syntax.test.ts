// strace's text, read back: pids of -f, calls split into <unfinished ...> and <... resumed>, quoted paths
// with every kind of escape, -y's descriptor paths. The last test reads what the real strace writes for
// names with quotes, angle brackets, a newline and UTF-8 in them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathEvents } from '../../src/trace/trace-events.js';
import { decodeQuoted, parseStraceOutput, splitTopLevel } from '../../src/trace/strace-syntax.js';
import { prerequisites } from '../helpers/prereq.js';

describe('strace output', () => {
  it('joins a call split by another process into one record, in the order it started', () => {
    const text = [
      '101   openat(AT_FDCWD</srv>, "/etc/a", O_RDONLY <unfinished ...>',
      '102   mkdir("/var/lib/x", 0700) = -1 EEXIST (File exists)',
      '101   <... openat resumed>) = 3</etc/a>',
      '101   +++ exited with 0 +++',
      '102   --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---',
    ].join('\n');
    expect(parseStraceOutput(text)).toEqual([
      { order: 0, pid: 101, name: 'openat', args: ['AT_FDCWD</srv>', '"/etc/a"', 'O_RDONLY'], value: 3, errno: undefined, returnedPath: '/etc/a' },
      { order: 1, pid: 102, name: 'mkdir', args: ['"/var/lib/x"', '0700'], value: -1, errno: 'EEXIST', returnedPath: undefined },
    ]);
  });

  it('leaves out a call still unfinished when the trace ended', () => {
    expect(parseStraceOutput('7 wait4(-1,  <unfinished ...>\n7 +++ killed by SIGKILL +++\n')).toEqual([]);
  });

  it('splits arguments at top-level commas only, through quotes, structures and -y decorations', () => {
    expect(splitTopLevel('3<socket:[9]>, {sa_family=AF_UNIX, sun_path="/dev/log"}, 110) = 0')).toEqual({ args: ['3<socket:[9]>', '{sa_family=AF_UNIX, sun_path="/dev/log"}', '110'], after: ' = 0' });
    expect(splitTopLevel('AT_FDCWD</tmp/d\\76x)(>, "a,b\\")", O_RDONLY) = 3')?.args).toEqual(['AT_FDCWD</tmp/d\\76x)(>', '"a,b\\")"', 'O_RDONLY']);
  });

  it('decodes C escapes, octal and hex bytes as UTF-8, and refuses a string strace cut short', () => {
    expect(decodeQuoted('"q\\"<\\303\\251>"')).toBe('q"<é>');
    expect(decodeQuoted('"n\\nl\\t\\\\x\\x41"')).toBe('n\nl\t\\xA');
    expect(decodeQuoted('"/very/long"...')).toBeUndefined();
    expect(decodeQuoted('NULL')).toBeUndefined();
  });

  const ok = prerequisites({ commands: ['strace', 'sh'], packages: 'strace' });
  it.skipIf(!ok)('reads the paths the real strace printed for awkward names, relative to the right directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkjail-strace-'));
    try {
      const out = join(dir, 'out');
      execFileSync('strace', ['-f', '-q', '-y', '-s', '4096', '-o', out, '-e', 'trace=%file,%process,chdir,fchdir', 'sh', '-c', 'mkdir "d>x)(" && cd "d>x)(" && mkdir "n\nl" && : > "q\\"<é>" && (mkdir -p s/t)'], { cwd: dir });
      const events = pathEvents(parseStraceOutput(readFileSync(out, 'utf8')), { uid: 0, cwd: dir, program: 'sh' });
      const created = events.filter((event) => event.op === 'mkdir' || event.op === 'create').map((event) => event.path);
      const inner = join(dir, 'd>x)(');
      expect(created).toEqual(expect.arrayContaining([inner, join(inner, 'n\nl'), join(inner, 'q"<é>'), join(inner, 's'), join(inner, 's/t')]));
      expect(new Set(events.filter((event) => event.op === 'mkdir').map((event) => event.program))).toEqual(new Set(['mkdir']));
      expect(events.find((event) => event.path === join(inner, 'q"<é>'))).toMatchObject({ program: 'sh', op: 'create', syscall: 'openat' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
