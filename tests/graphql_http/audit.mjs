// Runs every graphql-http server audit (the GraphQL over HTTP spec) against one URL and
// prints one JSON line per audit: {"id", "name", "status", "reason"}. Exit code 0 when
// every audit is ok, 1 otherwise; tests/server/test_graphql_http.py reads the lines.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://host:port/graphql');
  process.exit(2);
}

const results = await auditServer({ url });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    line.contentType = result.response.headers.get('content-type');
  }
  console.log(JSON.stringify(line));
}
process.exit(results.every((result) => result.status === 'ok') ? 0 : 1);
