import { href } from '../routing.js';

export function NotFoundPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Page not found</h1>
      <p>
        There is no such page. <a href={href('query')}>Ask a question</a> instead.
      </p>
    </section>
  );
}
