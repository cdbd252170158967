//! The schedule engine: layers stacked (a later layer replaces earlier ones
//! wherever it has someone on call), then overrides applied in file order,
//! then one person's adjacent pieces merged. `who` evaluates one instant;
//! `shifts` sweeps a window segment by segment with the same rules, so the
//! two always agree.

use super::layer::RotationClock;
use super::restriction::WeekWindows;
use super::{Gap, Handoff, Layer, LostTurn, Override, Shift};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// Index into `Compiled::people`.
type PersonIx = u32;

/// A schedule prepared for fast queries: people interned, restrictions
/// indexed by weekday, overrides as plain intervals.
#[derive(Debug, Clone)]
pub(super) struct Compiled {
    people: Vec<String>,
    layers: Vec<CompiledLayer>,
    overrides: Vec<CompiledOverride>,
}

#[derive(Debug, Clone)]
struct CompiledLayer {
    /// The zone its handoffs and restriction windows are in.
    tz: Tz,
    clock: RotationClock,
    /// The instant of its first handoff: nobody is on call in the layer
    /// before it (a rotation written to start in January pages nobody in
    /// December). `None` only for a start outside chrono's range.
    starts: Option<DateTime<Utc>>,
    participants: Vec<PersonIx>,
    windows: WeekWindows,
}

#[derive(Debug, Clone)]
struct CompiledOverride {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    add: Option<PersonIx>,
    remove: Option<PersonIx>,
}

/// A piece of one layer's on-call time: `[start, end)` held by `person`.
type Piece = (DateTime<Utc>, DateTime<Utc>, PersonIx);

/// One layer's turns from the one holding `from` up to `to`, in order, as
/// `(k, start, end)` — zero-length turns included (a handoff in a
/// spring-forward gap meeting the next one; `index_at` never lands on one).
fn turns(
    clock: &RotationClock,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = (i64, DateTime<Utc>, DateTime<Utc>)> + '_ {
    let first = clock
        .index_at(from)
        .and_then(|k| Some((k, clock.handoff(k)?, clock.handoff(k + 1)?)));
    std::iter::successors(first, move |&(k, _, end)| {
        Some((k + 1, end, clock.handoff(k + 2)?))
    })
    .take_while(move |&(_, start, _)| start < to)
}

impl Compiled {
    pub(super) fn new(tz: Tz, layers: &[Layer], overrides: &[Override]) -> Compiled {
        let mut people: Vec<String> = Vec::new();
        let mut intern = |id: &str| -> PersonIx {
            match people.iter().position(|p| p == id) {
                Some(i) => i as PersonIx,
                None => {
                    people.push(id.to_string());
                    (people.len() - 1) as PersonIx
                }
            }
        };
        let layers = layers
            .iter()
            .map(|l| {
                let tz = l.time_zone.unwrap_or(tz);
                let clock = RotationClock::new(tz, l.start, l.rotation, l.length);
                CompiledLayer {
                    tz,
                    starts: clock.handoff(0),
                    clock,
                    participants: l.participants.iter().map(|p| intern(p)).collect(),
                    windows: WeekWindows::new(&l.restrictions),
                }
            })
            .collect();
        let overrides = overrides
            .iter()
            .filter(|o| o.start < o.end)
            .map(|o| CompiledOverride {
                start: o.start,
                end: o.end,
                add: o.add.as_deref().map(&mut intern),
                remove: o.remove.as_deref().map(&mut intern),
            })
            .collect();
        Compiled {
            people,
            layers,
            overrides,
        }
    }

    /// Who layer `layer` puts on call at `t`, if anyone.
    fn layer_at(&self, layer: &CompiledLayer, t: DateTime<Utc>) -> Option<PersonIx> {
        if layer.participants.is_empty()
            || layer.starts.is_none_or(|s| t < s)
            || !layer.windows.contains(layer.tz, t)
        {
            return None;
        }
        let k = layer.clock.index_at(t)?;
        let n = layer.participants.len() as i64;
        layer.participants.get(k.rem_euclid(n) as usize).copied()
    }

    fn people_at(&self, t: DateTime<Utc>) -> Vec<PersonIx> {
        let mut on_call: Vec<PersonIx> = self
            .layers
            .iter()
            .rev()
            .find_map(|l| self.layer_at(l, t))
            .into_iter()
            .collect();
        for o in self.overrides.iter().filter(|o| o.start <= t && t < o.end) {
            apply_override(&mut on_call, o);
        }
        on_call
    }

    pub(super) fn who(&self, at: DateTime<Utc>) -> Vec<&str> {
        self.people_at(at)
            .into_iter()
            .map(|p| self.people[p as usize].as_str())
            .collect()
    }

    /// One layer's on-call pieces in `[from, to)`: its shifts intersected
    /// with its restriction windows, ordered and disjoint.
    fn layer_pieces(
        &self,
        layer: &CompiledLayer,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Piece> {
        let n = layer.participants.len() as i64;
        let Some(from) = layer.starts.map(|s| s.max(from)) else {
            return Vec::new();
        };
        if n == 0 || from >= to {
            return Vec::new();
        }
        let shifts: Vec<Piece> = turns(&layer.clock, from, to)
            .filter_map(|(k, start, end)| {
                let (s, e) = (start.max(from), end.min(to));
                (s < e).then(|| (s, e, layer.participants[k.rem_euclid(n) as usize]))
            })
            .collect();
        if !layer.windows.is_restricted() {
            return shifts;
        }
        let windows = layer.windows.windows(layer.tz, from, to);
        intersect(&shifts, &windows)
    }

    /// The turns in `[from, to)` that nobody holds because their handoff
    /// fell in a spring-forward gap and met the next one (an hourly turn
    /// at 02:00 on a night the clocks jump from 02:00 to 03:00).
    pub(super) fn lost_turns(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<LostTurn> {
        let mut lost = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            let n = layer.participants.len() as i64;
            if n == 0 {
                continue;
            }
            for (k, start, end) in turns(&layer.clock, from, to) {
                if k >= 0 && start == end && start >= from {
                    lost.push(LostTurn {
                        layer: index,
                        person: self.people[layer.participants[k.rem_euclid(n) as usize] as usize]
                            .clone(),
                        wall_time: layer.clock.wall_time(k),
                        at: start,
                    });
                }
            }
        }
        lost.sort_by_key(|t| (t.at, t.layer));
        lost
    }

    pub(super) fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Shift> {
        if from >= to {
            return Vec::new();
        }
        let pieces: Vec<Vec<Piece>> = self
            .layers
            .iter()
            .map(|l| self.layer_pieces(l, from, to))
            .collect();
        let overrides: Vec<&CompiledOverride> = self
            .overrides
            .iter()
            .filter(|o| o.start < to && o.end > from)
            .collect();

        let mut bounds: Vec<DateTime<Utc>> = vec![from];
        for p in pieces.iter().flatten() {
            bounds.push(p.0);
            bounds.push(p.1);
        }
        for o in &overrides {
            bounds.push(o.start.max(from));
            bounds.push(o.end.min(to));
        }
        bounds.retain(|b| *b < to);
        bounds.sort_unstable();
        bounds.dedup();

        let mut cursor = vec![0usize; pieces.len()];
        let mut open: Vec<(PersonIx, DateTime<Utc>)> = Vec::new();
        let mut out: Vec<Shift> = Vec::new();
        let mut on_call: Vec<PersonIx> = Vec::new();
        for &at in &bounds {
            on_call.clear();
            // The topmost layer with a piece covering `at` decides the base.
            for (layer, cur) in pieces.iter().zip(cursor.iter_mut()).rev() {
                while *cur < layer.len() && layer[*cur].1 <= at {
                    *cur += 1;
                }
                if on_call.is_empty() {
                    if let Some(&(s, _, who)) = layer.get(*cur) {
                        if s <= at {
                            on_call.push(who);
                        }
                    }
                }
            }
            for o in overrides.iter().filter(|o| o.start <= at && at < o.end) {
                apply_override(&mut on_call, o);
            }
            // Close the shifts of people who just went off call, open new ones.
            open.retain(|&(who, start)| {
                let stays = on_call.contains(&who);
                if !stays {
                    out.push(self.shift(who, start, at));
                }
                stays
            });
            for &who in &on_call {
                if !open.iter().any(|&(p, _)| p == who) {
                    open.push((who, at));
                }
            }
        }
        for (who, start) in open {
            out.push(self.shift(who, start, to));
        }
        out.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.person.cmp(&b.person)));
        out
    }

    fn shift(&self, who: PersonIx, start: DateTime<Utc>, end: DateTime<Utc>) -> Shift {
        Shift {
            person: self.people[who as usize].clone(),
            start,
            end,
        }
    }

    pub(super) fn next_handoff(&self, after: DateTime<Utc>) -> Option<Handoff> {
        for days in [8, 40, 120, 400] {
            let until = after.checked_add_signed(Duration::days(days))?;
            let change = self
                .shifts(after, until)
                .iter()
                .flat_map(|s| [s.start, s.end])
                .filter(|&t| t > after && t < until)
                .min();
            if let Some(at) = change {
                let people = self.who(at).into_iter().map(str::to_string).collect();
                return Some(Handoff { at, people });
            }
        }
        None
    }
}

/// Applies one override to the on-call set: add alone adds, remove alone
/// removes, add + remove replaces — only where the removed person is on call.
fn apply_override(on_call: &mut Vec<PersonIx>, o: &CompiledOverride) {
    match (o.add, o.remove) {
        (Some(add), None) => {
            if !on_call.contains(&add) {
                on_call.push(add);
            }
        }
        (None, Some(remove)) => on_call.retain(|&p| p != remove),
        (Some(add), Some(remove)) => {
            if let Some(i) = on_call.iter().position(|&p| p == remove) {
                if on_call.contains(&add) {
                    on_call.remove(i);
                } else {
                    on_call[i] = add;
                }
            }
        }
        (None, None) => {}
    }
}

/// Pieces intersected with ordered, disjoint windows.
fn intersect(pieces: &[Piece], windows: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<Piece> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < pieces.len() && j < windows.len() {
        let (ps, pe, who) = pieces[i];
        let (ws, we) = windows[j];
        let (s, e) = (ps.max(ws), pe.min(we));
        if s < e {
            out.push((s, e, who));
        }
        if pe < we {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The times in `[from, to)` that no shift covers.
pub(super) fn gaps(shifts: &[Shift], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Gap> {
    let mut covered: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        shifts.iter().map(|s| (s.start, s.end)).collect();
    covered.sort();
    let mut out = Vec::new();
    let mut cursor = from;
    for (s, e) in covered {
        if s > cursor {
            out.push(Gap {
                start: cursor,
                end: s.min(to),
            });
        }
        cursor = cursor.max(e);
    }
    if cursor < to {
        out.push(Gap {
            start: cursor,
            end: to,
        });
    }
    out
}
