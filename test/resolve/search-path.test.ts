// Dynamic string tokens and search-path strings, as glibc's _dl_dst_substitute and fillin_rpath read them.
import { describe, expect, it } from 'vitest';
import { cleanPath, expandElement, expandTokens, hasDotDot, isTrusted, searchDirs } from '../../src/resolve/search-path.js';

const values = { origin: '/opt/app/bin', lib: 'lib/x86_64-linux-gnu', platform: 'x86_64' };

describe('search-path strings', () => {
  it('expands $ORIGIN, $LIB and $PLATFORM, bare or braced, and keeps unknown or longer names as written', () => {
    expect(
      ['$ORIGIN/../lib', '${ORIGIN}/$LIB/${PLATFORM}', '$ORIGINAL/x', '$FOO/${BAR}', '/plain', 'a$', '$LIB_DIR'].map((text) => expandTokens(text, values)),
    ).toEqual([
      '/opt/app/bin/../lib',
      '/opt/app/bin/lib/x86_64-linux-gnu/x86_64',
      '$ORIGINAL/x',
      '$FOO/${BAR}',
      '/plain',
      'a$',
      '$LIB_DIR',
    ]);
  });

  it('splits a DT_RUNPATH on colons, drops repeats, takes empty and relative elements from /, keeps ".."', () => {
    expect(searchDirs('$ORIGIN/../lib::rel/dir:/usr//lib/:$ORIGIN/../lib:/a/./b', values)).toEqual([
      '/opt/app/bin/../lib',
      '/',
      '/rel/dir',
      '/usr/lib',
      '/a/b',
    ]);
  });

  it('drops every element that uses $ORIGIN when the origin is unknown, and keeps the others', () => {
    const unknown = { ...values, origin: undefined };
    expect(searchDirs('$ORIGIN/../lib:/opt/$LIB:${ORIGIN}:$ORIGINAL', unknown)).toEqual(['/opt/lib/x86_64-linux-gnu', '/$ORIGINAL']);
    expect([expandElement('$ORIGIN/lib', unknown), expandElement('$ORIGIN/lib', unknown, { mainProgram: true, trustedDirs: ['/usr/lib'] }), expandElement('/plain', unknown)]).toEqual([undefined, undefined, '/plain']);
  });

  it('cleans paths without collapsing "..", which only a lookup can resolve', () => {
    expect([cleanPath('a//b/./c/'), cleanPath('/x/../y'), hasDotDot('/x/../y'), hasDotDot('/x/..y')]).toEqual(['/a/b/c', '/x/../y', true, false]);
  });

  it('cleans every path made of empty, ".", ".." and name components as splitting on "/" would', () => {
    // The definition: drop empty and "." components, keep the rest, make it absolute; ".." is a component.
    const bySplitting = (path: string) => `/${path.split('/').filter((name) => name !== '' && name !== '.').join('/')}`;
    const components = ['', '.', '..', '...', '.a', 'a.', 'lib'];
    const paths: string[] = [];
    const grow = (prefix: string, depth: number): void => {
      if (depth === 0) return;
      for (const name of components) {
        for (const path of [`${prefix}/${name}`, `${prefix}${name}`]) {
          paths.push(path);
          grow(path, depth - 1);
        }
      }
    };
    grow('', 4);
    const wrong = paths.filter((path) => cleanPath(path) !== bySplitting(path) || hasDotDot(path) !== path.split('/').includes('..'));
    expect({ checked: paths.length > 10_000, wrong }).toEqual({ checked: true, wrong: [] });
  });

  it('limits $ORIGIN in secure mode: first in the element, and in a trusted directory for the program itself', () => {
    const trustedDirs = ['/lib/x86_64-linux-gnu', '/usr/lib'];
    const program = { mainProgram: true, trustedDirs };
    const library = { mainProgram: false, trustedDirs };
    const at = (origin: string) => ({ ...values, origin });
    expect([
      expandElement('$ORIGIN/lib', values, program),
      expandElement('$ORIGIN/../lib/x', at('/usr/lib/app'), program),
      expandElement('${ORIGIN}', at('/usr/lib/app'), program),
      expandElement('$ORIGIN/lib', values, library),
      expandElement('/x/$ORIGIN', values, library),
      expandElement('$ORIGIN/$ORIGIN', values, library),
      expandElement('$ORIGINX', values, library),
      expandElement('/opt/$LIB', values, program),
    ]).toEqual([undefined, '/usr/lib/app/../lib/x', '/usr/lib/app', '/opt/app/bin/lib', undefined, undefined, '$ORIGINX', '/opt/lib/x86_64-linux-gnu']);
    expect([isTrusted('/usr/lib/../lib/x', trustedDirs), isTrusted('/usr/libexec', trustedDirs), isTrusted('/usr/lib', trustedDirs)]).toEqual([true, false, true]);
  });
});
