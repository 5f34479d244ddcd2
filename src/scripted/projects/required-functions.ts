/**
 * What a scripted builder adds in a fix cycle when QC reports that a function its (amended) contract
 * requires is missing ("`name` required by <interface> is not implemented"): the function itself,
 * returning the value the interface's Public API line quotes for it. Only names QC reported are added.
 */
import type { Stack } from './plan';

const MISSING = /`(\w+)` required by \S+ is not implemented/;

export function missingFunctions(findings: readonly string[]): string[] {
  return [...new Set(findings.map((f) => MISSING.exec(f)?.[1]).filter((n): n is string => !!n))];
}

/** The value the interface quotes on the function's Public API line, e.g. `lengthUnit() -> string  # … "code points"`. */
function quotedValue(interfaceDoc: string, name: string): string | undefined {
  return new RegExp(`^${name}\\(.*"([^"\\n]+)"`, 'm').exec(interfaceDoc)?.[1];
}

export function withRequiredFunctions(source: string, stack: Stack, names: readonly string[], interfaceDoc: string): string {
  const missing = names.filter((n) => !new RegExp(`\\bfunction ${n}\\b|\\bdef ${n}\\s*\\(`).test(source));
  if (missing.length === 0) return source;
  const parts = missing.map((n) => {
    const value = JSON.stringify(quotedValue(interfaceDoc, n) ?? n);
    return stack === 'python'
      ? `\n\ndef ${n}():\n    """Required by the amended contract."""\n    return ${value}\n`
      : `\n/** Required by the amended contract. */\nfunction ${n}() {\n  return ${value};\n}\nmodule.exports.${n} = ${n};\n`;
  });
  return `${source.trimEnd()}\n${parts.join('')}`;
}
