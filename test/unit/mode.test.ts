// Mode detection (M1): one rule for the CLI and VS Code, checked against a table of requests.
import * as assert from 'node:assert/strict';
import { askRefusal, detectMode, type Mode } from '../../src/core/mode';

const TABLE: [string, Mode][] = [
  // audit words only
  ['Audit the payment service for injection bugs', 'audit'],
  ['please review and check the API', 'audit'],
  ['Scan the repository for hard-coded secrets', 'audit'],
  ['analyse performance of the parser', 'audit'],
  ['Analyzing error handling in src/', 'audit'],
  ['inspect the auth module', 'audit'],
  ['Reviewing the locking code', 'audit'],
  // build words only
  ['Build a CLI tool with a greeter module', 'build'],
  ['implement a rate limiter', 'build'],
  ['Create a todo app', 'build'],
  ['creating a REST service for invoices', 'build'],
  ['add a CSV export', 'build'],
  ['develop a parser for INI files', 'build'],
  ['scaffold a library', 'build'],
  ['a new project for billing', 'build'],
  ['greenfield invoicing service', 'build'],
  // both: ask rather than guess
  ['Build a tool that scans logs', 'ask'],
  ['Analyze what we built last week', 'ask'],
  ['check the build', 'ask'],
  ['review the code and add tests', 'ask'],
  // neither: ask
  ['A CLI tool with a greeter module and a formatter module.', 'ask'],
  ['a todo app', 'ask'],
  ['', 'ask'],
  // whole words only
  ['my address book with a checkout page', 'ask'],
  ['the builder pattern in a scanner', 'ask'],
  ['Rebuild nothing; just audit', 'audit'],
];

describe('mode detection (one rule for CLI and VS Code)', () => {
  for (const [request, mode] of TABLE) {
    it(`${JSON.stringify(request)} → ${mode}`, () => assert.equal(detectMode(request), mode));
  }

  it('the refusal without a TTY names both commands and quotes the request', () => {
    const text = askRefusal('a todo app');
    assert.match(text, /build-pipeline audit "a todo app"/);
    assert.match(text, /build-pipeline start/);
  });
});
