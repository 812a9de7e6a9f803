//! Charts drawn as SVG by Leptos itself. A chart crate would bring a drawing backend and
//! kilobytes of code for what is a few rectangles; SVG from the view is small, scales from a
//! 360 px phone to an A4 page (it has a viewBox and no fixed size), prints sharp, and each bar
//! says what it is (a `<title>`), with the table beside it for the numbers.

use leptos::prelude::*;

/// Colours told apart by most eyes (Okabe–Ito, then darker tones), in order of use.
pub const PALETTE: [&str; 12] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#7F3C8D", "#11A579", "#3969AC", "#80BA5A",
];

/// One stacked series: its name, colour and a value per bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub color: &'static str,
    pub values: Vec<u32>,
}

/// A round top for the axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_top(max: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Bars of `labels.len()` slots, each a stack of the series' values; `caption` names the chart
/// for screen readers.
#[component]
pub fn StackedBars(caption: String, labels: Vec<String>, series: Vec<Series>) -> impl IntoView {
    const W: f64 = 640.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 26.0;
    const TOP: f64 = 10.0;
    let n = labels.len().max(1);
    let totals: Vec<u32> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let top = nice_top(totals.iter().copied().max().unwrap_or(0));
    let plot_h = H - TOP - BOTTOM;
    let band = (W - LEFT) / n as f64;
    let bar = band * 0.62;
    let y = move |v: f64| TOP + plot_h * (1.0 - v / f64::from(top));
    let ticks = [0, top / 2, top];
    let mut rects = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + band * i as f64 + (band - bar) / 2.0;
        let mut base = 0u32;
        for s in &series {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let (y0, y1) = (y(f64::from(base)), y(f64::from(base + v)));
            rects.push(view! {
                <rect x=format!("{x:.1}") y=format!("{y1:.1}") width=format!("{bar:.1}")
                    height=format!("{:.1}", (y0 - y1).max(0.5)) fill=s.color>
                    <title>{format!("{label} — {}: {v}", s.label)}</title>
                </rect>
            });
            base += v;
        }
    }
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=caption.clone() preserveAspectRatio="xMidYMid meet">
                {ticks.into_iter().map(|t| {
                    let ty = y(f64::from(t));
                    view! {
                        <line x1=LEFT x2=W y1=format!("{ty:.1}") y2=format!("{ty:.1}") class="grid"/>
                        <text x=LEFT - 6.0 y=format!("{:.1}", ty + 4.0) text-anchor="end" class="tick">{t}</text>
                    }
                }).collect_view()}
                {rects}
                {labels.iter().enumerate().map(|(i, l)| view! {
                    <text x=format!("{:.1}", LEFT + band * (i as f64 + 0.5)) y=H - 8.0 text-anchor="middle" class="tick">{l.clone()}</text>
                }).collect_view()}
                {totals.iter().enumerate().filter(|(_, t)| **t > 0).map(|(i, t)| view! {
                    <text x=format!("{:.1}", LEFT + band * (i as f64 + 0.5)) y=format!("{:.1}", y(f64::from(*t)) - 3.0)
                        text-anchor="middle" class="total">{*t}</text>
                }).collect_view()}
            </svg>
            <figcaption class="legend">
                {series.iter().filter(|s| s.values.iter().any(|v| *v > 0)).map(|s| view! {
                    // An SVG square, not an inline style (the content security policy allows none).
                    <span class="key"><svg class="swatch" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" rx="2" fill=s.color/></svg>{s.label.clone()}</span>
                }).collect_view()}
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::nice_top;

    #[test]
    fn the_axis_ends_on_a_round_number_above_the_tallest_bar() {
        assert_eq!(nice_top(0), 1);
        assert_eq!(nice_top(1), 1);
        assert_eq!(nice_top(3), 5);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(11), 20);
        assert_eq!(nice_top(48), 50);
        assert_eq!(nice_top(51), 100);
        assert_eq!(nice_top(u32::MAX), u32::MAX);
    }
}
