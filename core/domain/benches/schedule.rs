//! Schedule engine speed (issue 2 targets): for a schedule of 10 layers x 50
//! people with restrictions and 200 overrides, `who(t)` under 5 µs (the same
//! years ahead or behind the layers' start) and a 30-day `shifts` window
//! under 1 ms. Run: `cargo bench -p klaxon-domain --bench schedule`.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use criterion::{criterion_group, criterion_main, Criterion};
use klaxon_domain::{Layer, Override, Restriction, Rotation, Schedule};
use std::hint::black_box;

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// 10 layers of 50 people each: all four rotation kinds, lengths 1-3, most
/// layers restricted (business hours, overnight, weekends), 200 overrides of
/// every kind spread over 2026.
fn big_schedule() -> Schedule {
    let weekdays = vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let rotations = [
        Rotation::Weekly,
        Rotation::Daily,
        Rotation::Hourly,
        Rotation::Monthly,
    ];
    let layers: Vec<Layer> = (0..10)
        .map(|i| {
            let restrictions = match i % 4 {
                0 => vec![],
                1 => vec![Restriction {
                    days: weekdays.clone(),
                    from: time(9, 0),
                    to: time(17, 0),
                }],
                2 => vec![Restriction {
                    days: weekdays.clone(),
                    from: time(18, 0),
                    to: time(8, 0),
                }],
                _ => vec![
                    Restriction {
                        days: vec![Weekday::Sat, Weekday::Sun],
                        from: time(0, 0),
                        to: time(0, 0),
                    },
                    Restriction {
                        days: vec![Weekday::Wed],
                        from: time(12, 30),
                        to: time(13, 30),
                    },
                ],
            };
            Layer {
                name: format!("layer {i}"),
                rotation: rotations[i % 4],
                length: 1 + (i as u32 % 3),
                start: NaiveDate::from_ymd_opt(2026, 1, 5)
                    .unwrap()
                    .and_time(time(9, (i as u32 * 7) % 60)),
                participants: (0..50).map(|p| format!("p{}", (p * 7 + i) % 50)).collect(),
                time_zone: None,
                restrictions,
            }
        })
        .collect();
    let year_start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let overrides: Vec<Override> = (0..200)
        .map(|i| {
            let start = year_start + Duration::hours(i * 43);
            let (add, remove) = match i % 3 {
                0 => (Some(format!("p{}", i % 50)), None),
                1 => (None, Some(format!("p{}", (i * 3) % 50))),
                _ => (
                    Some(format!("p{}", (i + 1) % 50)),
                    Some(format!("p{}", (i * 3) % 50)),
                ),
            };
            Override {
                start,
                end: start + Duration::hours(1 + i % 48),
                add,
                remove,
            }
        })
        .collect();
    Schedule::new(
        "big".into(),
        "America/Chicago".parse().unwrap(),
        layers,
        overrides,
    )
}

fn bench(c: &mut Criterion) {
    let s = big_schedule();
    let near: DateTime<Utc> = "2026-03-11T16:20:00Z".parse().unwrap();
    let mut group = c.benchmark_group("who");
    for (name, t) in [
        ("near_start", near),
        ("50_years_ahead", near + Duration::days(365 * 50)),
        ("50_years_behind", near - Duration::days(365 * 50)),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(s.who(black_box(t)))));
    }
    group.finish();

    let from: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
    c.bench_function("shifts_30_days", |b| {
        b.iter(|| black_box(s.shifts(black_box(from), black_box(from + Duration::days(30)))))
    });
    c.bench_function("next_handoff", |b| {
        b.iter(|| black_box(s.next_handoff(black_box(near))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
