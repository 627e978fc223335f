// Types of elf-programs.mjs, for the tests that run commands over the same programs.
export function elfExecutables(dirs: string[], options?: { skipSetId?: boolean }): string[];
