import type { Bar } from '../model/figures.js';

/** One row of a horizontal bar chart. */
export interface ChartRow {
  label: string;
  bar: Bar;
  /** Text at the end of the row (the figure as released, or why there is none). */
  text: string;
  /** For a merged figure: how far what below-threshold sites hold may reach beyond the bar. */
  upper?: number;
}

const ROW = 34;
const LABEL_WIDTH = 230;
const TEXT_WIDTH = 150;
const WIDTH = 760;

/**
 * A horizontal bar chart drawn in SVG (no scripts, no inline styles, so the content security
 * policy holds). Released values are solid bars with a whisker for the noise interval; a
 * below-threshold figure is a hatched band over every value it may be; a merged total's upper
 * bound is an outlined extension. The chart has a text title and description; the table next
 * to it holds the same figures.
 */
export function BarChart({ id, title, description, rows }: { id: string; title: string; description: string; rows: readonly ChartRow[] }) {
  const plot = WIDTH - LABEL_WIDTH - TEXT_WIDTH;
  const maxValue = Math.max(
    1,
    ...rows.map((r) => {
      const b = r.bar;
      const end = b.kind === 'value' ? b.value + (b.halfWidth ?? 0) : b.kind === 'below' ? b.upTo : 0;
      return Math.max(end, r.upper ?? 0);
    }),
  );
  const x = (value: number) => LABEL_WIDTH + (Math.max(0, value) / maxValue) * plot;
  const height = rows.length * ROW + 24;
  return (
    <div className="chart-scroll" tabIndex={0} role="region" aria-label={`${title} (scrolls sideways on narrow screens)`}>
      <svg
        className="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        preserveAspectRatio="xMinYMin meet"
        data-testid={id}
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        <defs>
          <pattern id={`${id}-hatch`} width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="8" height="8" fill="#e8eef7" />
            <line x1="0" y1="0" x2="0" y2="8" stroke="#1d4f91" strokeWidth="3" />
          </pattern>
        </defs>
        <line x1={LABEL_WIDTH} x2={LABEL_WIDTH} y1={4} y2={height - 20} stroke="#4a4a4a" />
        <text x={LABEL_WIDTH} y={height - 4} className="chart-axis">
          0
        </text>
        <text x={LABEL_WIDTH + plot} y={height - 4} className="chart-axis" textAnchor="end">
          {Math.round(maxValue).toLocaleString('en')}
        </text>
        {rows.map((row, i) => {
          const y = 8 + i * ROW;
          const mid = y + 11;
          const b = row.bar;
          return (
            <g key={`${row.label}-${i}`} className="chart-row">
              <text x={LABEL_WIDTH - 8} y={mid + 4} textAnchor="end" className="chart-label">
                {row.label.length > 32 ? `${row.label.slice(0, 31)}…` : row.label}
              </text>
              {b.kind === 'value' && (
                <>
                  <rect x={LABEL_WIDTH} y={y} width={Math.max(1, x(b.value) - LABEL_WIDTH)} height={22} className={b.approximate ? 'bar bar--approx' : 'bar'} />
                  {b.halfWidth !== null && b.halfWidth > 0 && (
                    <g className="whisker">
                      <line x1={x(b.value - b.halfWidth)} x2={x(b.value + b.halfWidth)} y1={mid} y2={mid} />
                      <line x1={x(b.value - b.halfWidth)} x2={x(b.value - b.halfWidth)} y1={mid - 6} y2={mid + 6} />
                      <line x1={x(b.value + b.halfWidth)} x2={x(b.value + b.halfWidth)} y1={mid - 6} y2={mid + 6} />
                    </g>
                  )}
                </>
              )}
              {b.kind === 'below' && <rect x={LABEL_WIDTH} y={y} width={Math.max(2, x(b.upTo) - LABEL_WIDTH)} height={22} fill={`url(#${id}-hatch)`} className="bar--below" />}
              {row.upper !== undefined && row.upper > (b.kind === 'value' ? b.value : 0) && (
                <rect
                  x={b.kind === 'value' ? x(b.value) : LABEL_WIDTH}
                  y={y + 3}
                  width={x(row.upper) - (b.kind === 'value' ? x(b.value) : LABEL_WIDTH)}
                  height={16}
                  className="bar--upper"
                />
              )}
              <text x={WIDTH - TEXT_WIDTH + 8} y={mid + 4} className="chart-value">
                {row.text}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
