// A real OpenID Provider for healthpm's tests: the certified `oidc-provider` package (pinned in
// tests/browser/package-lock.json) with its own login page instead of the package's
// devInteractions, so a test signs in the way a hospital user would.
//
//   node tests/oidc/provider.mjs <config.json> [--max-seconds N]
//
// config.json: {"port", "issuer", "users_file", "clients": [{client_id, client_secret,
// redirect_uris, post_logout_redirect_uris, ...more client metadata}], "id_token_ttl"}.
// users_file: {"users": {"<username>": {password, sub, name, given_name, family_name, email,
// email_verified, groups}}, "stale_auth_seconds": 0}. It is read again at every login and
// every claims lookup, so a test changes a user's groups or the reported auth_time between logins.
//
// Prints "READY <issuer>" on stdout once it listens on 127.0.0.1. It exits when stdin closes
// (the parent test process died or closed the pipe) or after --max-seconds (default 3600),
// so no provider outlives a killed pytest.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The package lives with the other test JavaScript under tests/browser (one `npm ci` installs all).
const here = path.dirname(fileURLToPath(import.meta.url));
const modulePath = path.join(here, '..', 'browser', 'node_modules', 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(modulePath);

const args = process.argv.slice(2);
const configPath = args.find((arg) => !arg.startsWith('--'));
const maxIndex = args.indexOf('--max-seconds');
const maxSeconds = maxIndex >= 0 ? Number(args[maxIndex + 1]) : 3600;
if (!configPath || !Number.isFinite(maxSeconds) || maxSeconds <= 0) {
  process.stderr.write('usage: node tests/oidc/provider.mjs <config.json> [--max-seconds N]\n');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));

// Lifetime: stdin is a pipe from the test process; EOF means it is gone.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
process.on('SIGTERM', () => process.exit(0));

function readUsers() {
  // Read on every use on purpose: tests edit the file between logins.
  const data = JSON.parse(fs.readFileSync(config.users_file, 'utf8'));
  return { users: data.users || {}, staleAuthSeconds: Number(data.stale_auth_seconds || 0) };
}

function userBySub(sub) {
  const { users } = readUsers();
  return Object.values(users).find((user) => user.sub === sub);
}

function equalSecrets(a, b) {
  const left = crypto.createHash('sha256').update(String(a)).digest();
  const right = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(left, right);
}

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

// Plain pages with no external resources: the browser in CI has no network beyond loopback.
function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>`;
}

function loginPage(uid, { username = '', error = '' } = {}) {
  const alert = error ? `<p role="alert" id="error">${escapeHtml(error)}</p>\n` : '';
  return page('Sign in to the test identity provider', `${alert}<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="${escapeHtml(username)}" required></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
<p><button type="submit">Cancel</button></p>
</form>`);
}

const SCOPES = 'openid profile email groups';

const claimsConfig = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

const clients = (config.clients || []).map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  // mozilla-django-oidc and allauth both send the secret in the POST body by default.
  token_endpoint_auth_method: 'client_secret_post',
  // auth_time in every ID token: the signature re-authentication checks it.
  require_auth_time: true,
  // With back-channel logout, ID and logout tokens carry the session id (sid) the client matches on.
  ...(client.backchannel_logout_uri ? { backchannel_logout_session_required: true } : {}),
  ...client,
}));
const clientIds = new Set(clients.map((client) => client.client_id));

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: crypto.randomUUID() };

const provider = new Provider(config.issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
    // healthpm's live server shares the 127.0.0.1 cookie jar (cookies ignore ports): distinct names.
    names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
  },
  scopes: SCOPES.split(' '),
  claims: claimsConfig,
  // Profile, e-mail and groups in the ID token itself, not only from the userinfo endpoint.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  responseTypes: ['code'],
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Sign out of the test identity provider', `${form}
<p><button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></p>
<p><button type="submit" form="op.logoutForm">No, stay signed in</button></p>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<p>You are signed out of the test identity provider.</p>');
      },
    },
    backchannelLogout: { enabled: true },
  },
  ttl: {
    IdToken: Number(config.id_token_ttl || 300),
    AccessToken: 300,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  // oidc-provider refuses to fetch loopback addresses (SSRF protection); the relying party under
  // test lives on loopback, so back-channel logout calls to it go out without that dispatcher.
  fetch(url, options) {
    const { hostname } = new URL(url);
    if (hostname === '127.0.0.1' || hostname === 'localhost') delete options.dispatcher;
    return globalThis.fetch(url, options);
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    const rows = Object.entries(out).map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`);
    ctx.body = page('Identity provider error', rows.join('\n'));
  },
  async findAccount(ctx, sub) {
    if (!userBySub(sub)) return undefined;
    return {
      accountId: sub,
      async claims() {
        const user = userBySub(sub) || {};
        return {
          sub,
          name: user.name,
          given_name: user.given_name,
          family_name: user.family_name,
          email: user.email,
          email_verified: user.email_verified ?? true,
          groups: Array.isArray(user.groups) ? user.groups : [],
        };
      },
    };
  },
  // The configured clients are first-party: consent is granted without a screen
  // (oidc-provider's documented loadExistingGrant pattern), for the scopes asked for.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    if (!clientIds.has(client.clientId) || !session.accountId) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(SCOPES);
    grant.addOIDCClaims(Object.values(claimsConfig).flat());
    await grant.save();
    return grant;
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error', 'backchannel.error']) {
  provider.on(event, (...details) => {
    const error = details.find((d) => d instanceof Error);
    process.stderr.write(`[oidc-provider] ${event}: ${error ? `${error.message} ${error.error_description || ''}` : ''}\n`);
  });
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Identity provider error', '<p>Unknown interaction.</p>'));

  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') {
      return send(res, 200, loginPage(uid, { username: details.params.login_hint || '' }));
    }
    // Consent is never shown: loadExistingGrant grants it. Should the policy still ask, grant here.
    const grant = new provider.Grant({ clientId: details.params.client_id, accountId: details.session.accountId });
    grant.addOIDCScope(SCOPES);
    grant.addOIDCClaims(Object.values(claimsConfig).flat());
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const username = form.get('username') || '';
    const { users, staleAuthSeconds } = readUsers();
    const user = Object.hasOwn(users, username) ? users[username] : undefined;
    if (!user || !equalSecrets(form.get('password') || '', user.password)) {
      return send(res, 200, loginPage(uid, { username, error: 'Invalid username or password' }));
    }
    // A test may ask for an old authentication time to prove the client refuses stale logins.
    const ts = Math.floor(Date.now() / 1000) - Math.max(0, staleAuthSeconds);
    return provider.interactionFinished(req, res, { login: { accountId: user.sub, ts } }, { mergeWithLastSubmission: false });
  }

  if (req.method === 'POST' && action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  return send(res, 405, page('Identity provider error', '<p>Method not allowed.</p>'));
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?\/?(?:\?.*)?$/.exec(req.url);
  if (!match) return callback(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    process.stderr.write(`[interaction] ${error.stack || error}\n`);
    if (!res.headersSent) send(res, 400, page('Identity provider error', `<p>${escapeHtml(error.message)}</p>`));
  });
});

server.listen(Number(config.port), '127.0.0.1', () => {
  process.stdout.write(`READY ${config.issuer}\n`);
});
