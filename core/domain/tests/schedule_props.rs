//! Property tests of the schedule engine over random schedules in zones with
//! DST, half-hour offsets and 30-minute DST shifts: shifts are ordered,
//! merged and never overlap for one person; `who(t)` agrees with `shifts`
//! at every instant probed; moving the query window never changes a shift
//! that lies inside both windows; a lone layer covers its window exactly once.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use klaxon_domain::{Layer, Override, Restriction, Rotation, Schedule, Shift};
use proptest::prelude::*;

const ZONES: [&str; 7] = [
    "UTC",
    "America/Chicago",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
];
const PEOPLE: [&str; 4] = ["a", "b", "c", "d"];
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn base() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

fn base_utc() -> DateTime<Utc> {
    base().and_utc()
}

fn rotation() -> impl Strategy<Value = Rotation> {
    prop_oneof![
        Just(Rotation::Hourly),
        Just(Rotation::Daily),
        Just(Rotation::Weekly),
        Just(Rotation::Monthly)
    ]
}

fn time_of_day() -> impl Strategy<Value = NaiveTime> {
    (0u32..48).prop_map(|half_hours| {
        NaiveTime::from_hms_opt(half_hours / 2, (half_hours % 2) * 30, 0).unwrap()
    })
}

fn restriction() -> impl Strategy<Value = Restriction> {
    (
        proptest::sample::subsequence(WEEK.to_vec(), 1..=7),
        time_of_day(),
        time_of_day(),
    )
        .prop_map(|(days, from, to)| Restriction { days, from, to })
}

fn layer() -> impl Strategy<Value = Layer> {
    (
        rotation(),
        1u32..=3,
        // start within about two years around 2026, on any quarter hour
        -35_000i64..35_000,
        proptest::collection::vec(proptest::sample::select(PEOPLE.to_vec()), 1..=4),
        proptest::collection::vec(restriction(), 0..=2),
    )
        .prop_map(
            |(rotation, length, quarter_hours, participants, restrictions)| Layer {
                name: "l".into(),
                rotation,
                length,
                start: base() + Duration::minutes(15 * quarter_hours),
                participants: participants.into_iter().map(String::from).collect(),
                time_zone: None,
                restrictions,
            },
        )
}

fn override_() -> impl Strategy<Value = Override> {
    (
        0i64..(24 * 90),
        1i64..=72,
        proptest::option::of(proptest::sample::select(PEOPLE.to_vec())),
        proptest::option::of(proptest::sample::select(PEOPLE.to_vec())),
    )
        .prop_filter("add or remove", |(_, _, a, r)| a.is_some() || r.is_some())
        .prop_map(|(start_h, len_h, add, remove)| {
            let start = base_utc() + Duration::hours(start_h);
            Override {
                start,
                end: start + Duration::hours(len_h),
                add: add.map(String::from),
                remove: remove.map(String::from),
            }
        })
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        proptest::sample::select(ZONES.to_vec()),
        proptest::collection::vec(layer(), 1..=3),
        proptest::collection::vec(override_(), 0..=3),
    )
        .prop_map(|(zone, layers, overrides)| {
            Schedule::new("s".into(), zone.parse().unwrap(), layers, overrides)
        })
}

/// A window in the first 90 days of 2026 (where the overrides are too).
fn window() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>)> {
    (0i64..(90 * 24 * 4), 1i64..(40 * 24 * 4)).prop_map(|(start_q, len_q)| {
        let from = base_utc() + Duration::minutes(15 * start_q);
        (from, from + Duration::minutes(15 * len_q))
    })
}

fn on_call_in(shifts: &[Shift], t: DateTime<Utc>) -> Vec<String> {
    let mut v: Vec<String> = shifts
        .iter()
        .filter(|s| s.start <= t && t < s.end)
        .map(|s| s.person.clone())
        .collect();
    v.sort();
    v
}

fn probes(
    shifts: &[Shift],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    extra: &[i64],
) -> Vec<DateTime<Utc>> {
    let mut ts = vec![from, to - Duration::seconds(1)];
    for s in shifts {
        ts.extend([
            s.start,
            s.end - Duration::seconds(1),
            s.start + (s.end - s.start) / 2,
        ]);
        if s.end < to {
            ts.push(s.end);
        }
    }
    let span = (to - from).num_seconds().max(1);
    ts.extend(
        extra
            .iter()
            .map(|x| from + Duration::seconds(x.rem_euclid(span))),
    );
    ts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn shifts_are_ordered_merged_and_agree_with_who(
        s in schedule(),
        (from, to) in window(),
        extra in proptest::collection::vec(any::<i64>(), 20),
    ) {
        let shifts = s.shifts(from, to);
        for w in shifts.windows(2) {
            prop_assert!(w[0].start <= w[1].start, "ordered by start");
        }
        for sh in &shifts {
            prop_assert!(from <= sh.start && sh.start < sh.end && sh.end <= to, "inside the window: {sh:?}");
        }
        for p in PEOPLE {
            let mine: Vec<&Shift> = shifts.iter().filter(|x| x.person == p).collect();
            for w in mine.windows(2) {
                prop_assert!(w[0].end < w[1].start, "one person's shifts neither overlap nor touch: {:?}", w);
            }
        }
        let gaps = s.gaps(from, to);
        for t in probes(&shifts, from, to, &extra) {
            let mut who: Vec<String> = s.who(t).into_iter().map(String::from).collect();
            who.sort();
            prop_assert_eq!(&who, &on_call_in(&shifts, t), "who({}) disagrees with shifts", t);
            let in_gap = gaps.iter().any(|g| g.start <= t && t < g.end);
            prop_assert_eq!(in_gap, who.is_empty(), "gaps are exactly the times with nobody on call ({})", t);
        }
    }

    #[test]
    fn moving_the_window_never_changes_a_shift_inside_both(
        s in schedule(),
        (from, to) in window(),
        d1 in -(10i64 * 24 * 4)..(10 * 24 * 4),
        d2 in -(10i64 * 24 * 4)..(10 * 24 * 4),
    ) {
        let from2 = from + Duration::minutes(15 * d1);
        let to2 = (to + Duration::minutes(15 * d2)).max(from2 + Duration::hours(1));
        let a = s.shifts(from, to);
        let b = s.shifts(from2, to2);
        let inside = |x: &Shift| x.start > from.max(from2) && x.end < to.min(to2);
        let a_in: Vec<&Shift> = a.iter().filter(|x| inside(x)).collect();
        let b_in: Vec<&Shift> = b.iter().filter(|x| inside(x)).collect();
        prop_assert_eq!(a_in, b_in);
    }

    #[test]
    fn a_lone_unrestricted_layer_covers_the_window_exactly_once(
        mut l in layer(),
        zone in proptest::sample::select(ZONES.to_vec()),
        (from, to) in window(),
    ) {
        l.restrictions.clear();
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        // Nobody is on call before the layer's first handoff; from then on
        // the layer covers the rest of the window exactly once.
        let starts = klaxon_domain::schedule::resolve_wall_time(tz, l.start).unwrap();
        let s = Schedule::new("s".into(), tz, vec![l], vec![]);
        let shifts = s.shifts(from, to);
        if starts >= to {
            prop_assert!(shifts.is_empty(), "nobody before the layer starts: {shifts:?}");
            return Ok(());
        }
        prop_assert!(!shifts.is_empty());
        prop_assert_eq!(shifts[0].start, from.max(starts));
        prop_assert_eq!(shifts[shifts.len() - 1].end, to);
        for w in shifts.windows(2) {
            prop_assert_eq!(w[0].end, w[1].start, "no gap and no overlap");
        }
    }

    #[test]
    fn who_is_the_same_function_of_the_rotation_years_away(
        l in layer(),
        zone in proptest::sample::select(ZONES.to_vec()),
        years in -40i64..40,
        q in 0i64..(24 * 4 * 366),
    ) {
        // A shift far from start is found as exactly as one near it: check the
        // engine's answer against the handoffs around it.
        let s = Schedule::new("s".into(), zone.parse().unwrap(), vec![l], vec![]);
        let t = base_utc() + Duration::days(365 * years) + Duration::minutes(15 * q);
        let around = s.shifts(t - Duration::days(70), t + Duration::days(70));
        let mut who: Vec<String> = s.who(t).into_iter().map(String::from).collect();
        who.sort();
        prop_assert_eq!(who, on_call_in(&around, t));
    }
}
