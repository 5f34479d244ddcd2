import * as assert from 'node:assert/strict';
import { isAllowed, networkRefusalHint } from '../../src/core/sandbox/networkRefusal';

describe('the hint for an install the sandbox kept off the network', () => {
  const on = (allowedDomains: string[] = []) => ({ enabled: true, allowedDomains });

  it('names the public registry of the installer when the output names no host (npm, pip)', () => {
    const npm = networkRefusalHint('npm ci', 'npm error code E403\nnpm error 403 403 host is not on the allow list - GET https://registry.npmjs.org/lodash', on());
    assert.match(npm ?? '', /add registry\.npmjs\.org to sandbox\.allowedDomains/);
    assert.match(npm ?? '', /it allows none/);
    const pip = networkRefusalHint(
      'python3 -m venv .venv && .venv/bin/pip install -e .',
      "WARNING: Retrying (Retry(total=4)) after connection broken by 'ProxyError('Cannot connect to proxy.', OSError('Tunnel connection failed: 403 Forbidden'))'",
      on(['github.com']),
    );
    assert.match(pip ?? '', /add pypi\.org, files\.pythonhosted\.org to sandbox\.allowedDomains/);
    assert.match(pip ?? '', /it allows only github\.com/);
  });

  it('names a registry the command points at, not the proxy the output mentions', () => {
    const hint = networkRefusalHint('npm install --registry https://npm.corp.example/', 'tunneling socket could not be established, statusCode=403 (proxy http://localhost:3128)', on());
    assert.match(hint ?? '', /add npm\.corp\.example to sandbox\.allowedDomains/);
    assert.doesNotMatch(hint ?? '', /localhost:3128/);
  });

  it('says nothing when the sandbox is off, the failure is not the network, or every host it tried is allowed', () => {
    assert.equal(networkRefusalHint('npm ci', 'npm error code E403', { enabled: false, allowedDomains: [] }), undefined);
    assert.equal(networkRefusalHint('npm ci', 'npm error code EUSAGE\nnpm error `npm ci` can only install with an existing package-lock.json', on()), undefined);
    assert.equal(networkRefusalHint('npm ci', 'npm error code ECONNRESET\nnpm error network request to https://registry.npmjs.org/x failed', on(['registry.npmjs.org'])), undefined);
  });

  it('matches hosts the way the sandbox runtime does', () => {
    assert.ok(isAllowed('registry.npmjs.org', ['registry.npmjs.org']));
    assert.ok(isAllowed('registry.npmjs.org:443', ['registry.npmjs.org']));
    assert.ok(!isAllowed('registry.npmjs.org:443', ['registry.npmjs.org:8443']));
    assert.ok(isAllowed('files.pythonhosted.org', ['*.pythonhosted.org']));
    assert.ok(!isAllowed('pypi.org', ['*.pypi.org']), '*.domain matches subdomains only');
  });
});
