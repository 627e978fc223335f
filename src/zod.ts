// zod, as every schema of mkjail takes it (a namespace import of this module): without its JIT. zod
// compiles a parser for each object schema the first time it parses (new Function), code V8's code
// cache can't keep, so every run paid for it again (~10 ms of a no-op build); a command parses each
// schema a few times at most, where the plain parser is as fast. Set here, before any schema is made:
// zod reads the setting as a schema is built. Re-exported name by name (export *), so the bundle keeps
// only the parts of zod that are used.
import { config } from 'zod';

config({ jitless: true });

export * from 'zod';
