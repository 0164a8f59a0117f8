// A real OpenID Provider for the tests: npm `oidc-provider` (certified), on 127.0.0.1 and a free port.
// Started by tests/oidc/__init__.py with a JSON configuration file (clients, keys, accounts) as its argument.
// Prints "listening <issuer>" once it answers. Its login page is a plain form: the test types the account id.
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { accounts } = config;

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: config.signing_keys },
    claims: config.claims,
    scopes: Object.keys(config.claims).filter((name) => Array.isArray(config.claims[name])),
    conformIdTokenClaims: false,
    cookies: { keys: ['test-cookie-key-not-secret'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Log out', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, log me out</button>`);
        },
      },
    },
    findAccount: async (ctx, sub) => (accounts[sub]
      ? { accountId: sub, claims: async () => ({ sub, ...accounts[sub].claims }) }
      : undefined),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  });
  provider.proxy = false;

  async function interaction(req, res) {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Test provider login', `<form method="post" action="/interaction/${details.uid}">`
        + '<label for="login">Account</label> <input id="login" name="login" autocomplete="off"> '
        + '<button type="submit">Log in</button></form>'));
      return;
    }
    const form = await readForm(req);
    const accountId = form.get('login');
    const account = accounts[accountId];
    if (!account) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'unknown account' });
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId, amr: account.amr || ['pwd'] },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    callback(req, res);
  });
  process.stdout.write(`listening ${issuer}\n`);
});
