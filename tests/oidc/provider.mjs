// A local OpenID Connect provider for Markbook's sign-in tests (ACC-1): it stands in for
// Google or Microsoft. Test-only; never deploy it.
//
//   node tests/oidc/provider.mjs --port 5001 --redirect-uri http://127.0.0.1:8000/accounts/oidc/google/login/callback/
//
// Anyone may "sign in" with any email address on its plain login page (no password);
// the tick box says whether the provider vouches for the address: with the standard
// claim email_verified, or with --flavour entra as Microsoft Entra ID does for work and
// school accounts: no email_verified, and the optional claim xms_edov ("email domain
// owner verified").
// Consent is granted at once. It prints "listening <issuer>" when ready.

import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: options } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'markbook-test' },
    'client-secret': { type: 'string', default: 'markbook-test-secret' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    flavour: { type: 'string', default: 'standard' },
  },
});

// The claims of whoever signed in, by account id (their email address).
const accounts = new Map();

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(new URLSearchParams(data)));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function listen(server, port, host) {
  await new Promise((resolve) => server.listen(Number(port), host, resolve));
  return server.address().port;
}

const server = http.createServer();
const port = await listen(server, options.port, options.host);
const issuer = `http://${options.host}:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options['client-id'],
      client_secret: options['client-secret'],
      redirect_uris: options['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified', 'xms_edov'],
    profile: ['name', 'given_name', 'family_name'],
  },
  async findAccount(ctx, id) {
    const claims = accounts.get(id) ?? { email: id, email_verified: false };
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => false },
  cookies: { keys: ['markbook-test-oidc-provider'] },
  // Every claim in the ID token too, whichever the relying party reads.
  conformIdTokenClaims: false,
});

async function interaction(req, res) {
  const url = new URL(req.url, issuer);
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    return send(res, 400, page('Wrong interaction', '<p>Start again.</p>'));
  }
  const { prompt, params, session } = details;
  if (prompt.name === 'login' && req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const email = (form.get('email') || '').trim().toLowerCase();
    if (!email) {
      return send(res, 400, page('Sign in', '<p>Enter an email address.</p>'));
    }
    const vouched = form.get('verified') === 'yes';
    accounts.set(email, {
      email,
      ...(options.flavour === 'entra' ? { xms_edov: vouched } : { email_verified: vouched }),
      name: form.get('name') || email,
    });
    return provider.interactionFinished(req, res, { login: { accountId: email } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (prompt.name === 'login') {
    return send(res, 200, page('Sign in to the test provider', `
<form method="post" action="/interaction/${escape(uid)}/login">
  <p><label for="email">Email</label> <input id="email" name="email" type="email" required></p>
  <p><label for="name">Name</label> <input id="name" name="name" type="text"></p>
  <p><label><input name="verified" type="checkbox" value="yes" checked> The provider has verified this address</label></p>
  <p><button type="submit">Continue</button></p>
</form>`));
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  return send(res, 501, page('Not implemented', `<p>${escape(prompt.name)}</p>`));
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      send(res, 500, page('Error', `<pre>${escape(error.stack || error)}</pre>`));
    });
  } else {
    callback(req, res);
  }
});

console.log(`listening ${issuer}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
