// A real OpenID Connect provider for the tests (the npm package oidc-provider), on a loopback port.
//
//   node tests/sso_provider/provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [{client_id, client_secret, redirect_uris}], "accounts": {"login": {claims…}}}.
// It listens on 127.0.0.1 on a free port and prints one line, {"issuer": "http://127.0.0.1:PORT"}, when it answers.
//
// The sign-in page is a one-field form (/interaction/:uid): posting login=<an account of CONFIG> signs that account
// in and grants the requested scopes. For the tests of refused ID tokens, POST /__test/next-id-token with
// {"mode": …} makes the provider rewrite the ID token of the next token response:
//   forged             signed with a key that is not in the JWKS (same kid as the real key)
//   wrong_audience     aud names another client (no azp)
//   wrong_audience_azp aud names another client, azp names this one
//   expired            exp an hour ago
//   wrong_issuer       iss names another provider
//   extra              the given "claims" added (signed with the real key)
// Test tool only: it binds to the loopback address and nothing else.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const realKey = await jose.generateKeyPair('RS256', { extractable: true });
const attackerKey = await jose.generateKeyPair('RS256', { extractable: true });
const KID = 'test-signing-key';
const privateJwk = { ...(await jose.exportJWK(realKey.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };

let provider;
let pending = null; // the rewrite of the next ID token, if any

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    res.statusCode = 500;
    res.end(String(error));
  });
});

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/interaction/')) {
    return interaction(req, res);
  }
  if (url.pathname === '/__test/next-id-token' && req.method === 'POST') {
    pending = JSON.parse((await body(req)) || '{}');
    res.setHeader('Content-Type', 'application/json');
    return res.end('{"ok": true}');
  }
  return provider.callback()(req, res);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function page(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><body>${html}</body></html>`);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    return page(
      res,
      200,
      `<form method="post" action="/interaction/${details.uid}"><label>Login <input name="login"></label>`
        + '<button type="submit">Sign in</button></form>',
    );
  }
  const login = new URLSearchParams(await body(req)).get('login');
  if (!login || !(login in config.accounts)) {
    return page(res, 400, 'No such account.');
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: login }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

async function rewrite(idToken, rule) {
  const [encodedHeader, encodedPayload] = idToken.split('.');
  const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
  let key = realKey.privateKey;
  const now = Math.floor(Date.now() / 1000);
  switch (rule.mode) {
    case 'forged':
      key = attackerKey.privateKey;
      payload.email = rule.claims?.email ?? payload.email;
      break;
    case 'wrong_audience':
      payload.aud = 'another-application';
      delete payload.azp;
      break;
    case 'wrong_audience_azp':
      payload.azp = payload.aud;
      payload.aud = 'another-application';
      break;
    case 'expired':
      payload.iat = now - 7200;
      payload.exp = now - 3600;
      break;
    case 'wrong_issuer':
      payload.iss = 'http://127.0.0.1:1/another-provider';
      break;
    case 'extra':
      Object.assign(payload, rule.claims || {});
      break;
    default:
      throw new Error(`unknown mode ${rule.mode}`);
  }
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key);
}

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['cookie-key-for-the-tests-only'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'locale'],
      datapilots: ['city', 'role'],
    },
    scopes: ['openid', 'email', 'profile', 'datapilots'],
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const account = config.accounts[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { ...account, sub: id }; } };
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method === 'POST' && ctx.path === '/token' && pending && ctx.body?.id_token) {
      const rule = pending;
      pending = null;
      ctx.body = { ...ctx.body, id_token: await rewrite(ctx.body.id_token, rule) };
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
