// A tiny HTTP app: answers on $PORT with its name, instance index and process ID.
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const app = JSON.parse(process.env.VCAP_APPLICATION ?? '{}');
const name = app.application_name ?? 'app';
const index = process.env.CF_INSTANCE_INDEX ?? '0';
const started = new Date().toISOString();

http
  .createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from ${name} instance ${index} (pid ${process.pid}, up since ${started})\n`);
  })
  .listen(port, () => console.log(`${name} listening on ${port}`));
