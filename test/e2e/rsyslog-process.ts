// Debian's rsyslogd run in the foreground on a test configuration: no system socket (/dev/log of the
// host untouched), one DIR/rsyslog.conf drop-in included, every message written to one file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Running, startInBackground } from './named-process.js';

export interface TestRsyslog {
  /** The file every message goes to. */
  messages: string;
  running: Running;
  /** Waits (at most ~20 s) until the messages file holds `text`; returns the file's text. */
  waitFor(text: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `rsyslogd -n` with a config in `dir` that includes `dropIn`, and waits for the socket `socket` to exist. */
export async function startTestRsyslog(dir: string, dropIn: string, socket: string): Promise<TestRsyslog> {
  const messages = join(dir, 'messages');
  const config = join(dir, 'rsyslog-test.conf');
  writeFileSync(
    config,
    [
      `global(workDirectory="${dir}")`,
      'module(load="imuxsock" SysSock.Use="off")',
      `include(file="${dropIn}")`,
      `*.* action(type="omfile" file="${messages}")`,
      '',
    ].join('\n'),
  );
  const running = startInBackground('rsyslogd', ['-n', '-f', config, '-i', join(dir, 'rsyslogd.pid')], 'ignore');
  await until(() => existsSync(socket), () => `rsyslogd never made ${socket}; its output:\n${running.log()}`);
  const read = () => (existsSync(messages) ? readFileSync(messages, 'utf8') : '');
  return {
    messages,
    running,
    waitFor: async (text) => {
      await until(() => read().includes(text), () => `no message with ${JSON.stringify(text)} arrived; ${messages} holds:\n${read()}\nrsyslogd said:\n${running.log()}`);
      return read();
    },
    stop: () => running.stop(),
  };
}

async function until(done: () => boolean, failure: () => string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(failure());
}
