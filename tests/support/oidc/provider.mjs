// A real OpenID provider (panva/oidc-provider) for the test suite, shaped like Entra ID:
// one issuer per directory at /{tid}/v2.0, JWT access tokens for the Regie API audience
// carrying tid, oid, roles, groups and acrs. API tokens are obtained with the client-credentials
// grant (each test principal is a client whose metadata holds the claims to issue); the web
// sign-in uses the authorization code flow with the provider's own login and consent pages,
// where the login name picks one of the directory's users.
// Usage: node provider.mjs CONFIG.json   (prints "ready <port>" when listening)
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = `http://127.0.0.1:${config.port}`;

function provider(directory) {
  const issuer = `${base}/${directory.tid}/v2.0`;
  const byClient = new Map(directory.clients.map((c) => [c.client_id, c.claims]));
  const users = new Map((directory.users ?? []).map((u) => [u.login, u.claims]));
  const api = directory.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  }));
  const web = config.web ? [{ ...config.web, grant_types: ['authorization_code'],
    response_types: ['code'] }] : [];
  return new Provider(issuer, {
    clients: [...api, ...web],
    findAccount: (ctx, id) => users.has(id) ? {
      accountId: id,
      claims: () => ({ sub: id, tid: directory.tid, ...users.get(id) }),
    } : undefined,
    claims: { openid: ['sub', 'tid', 'oid', 'name', 'preferred_username', 'roles'] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    jwks: { keys: config.keys },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: config.audience,
          accessTokenTTL: config.ttl ?? 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (ctx, token) => ({ tid: directory.tid, ...byClient.get(token.clientId) }),
  });
}

const mounted = config.directories.map((d) => [`/${d.tid}/v2.0`, provider(d).callback()]);

createServer((req, res) => {
  const hit = mounted.find(([prefix]) => req.url.startsWith(prefix));
  if (!hit) {
    res.writeHead(404).end();
    return;
  }
  req.originalUrl = req.url;
  req.url = req.url.slice(hit[0].length) || '/';
  hit[1](req, res);
}).listen(config.port, '127.0.0.1', () => console.log(`ready ${config.port}`));
