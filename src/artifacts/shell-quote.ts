// Quoting for the generated shell scripts (DIR/launch is bash, DIR/perms.sh is POSIX sh): one word
// that both shells read back as exactly the given text.

/** `text` unchanged when it holds only characters no shell treats specially, else single-quoted ('\'' for a quote). */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
