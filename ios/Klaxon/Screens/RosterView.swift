import SwiftUI

/// Who is on call: now and next for every schedule the person can see
/// (core's `schedules()`, by name), and my own shifts, all from the roster
/// core synced.
///
/// "I'll cover": someone else's shift has a Cover button for its window
/// (from now, if it has begun), and every schedule a "Cover from now" menu
/// (1 h, 4 h, until the next handoff). Both call core's `takeShift`; the
/// screen shows the relay's refusal, or the roster with this person on call.
struct RosterView: View {
    @EnvironmentObject private var model: PagerModel
    /// What the last cover did, or why the relay refused it.
    @State private var coverStatus: String?
    /// A cover is on its way to the relay.
    @State private var covering = false
    /// Bumped after a cover: the roster is read from core again.
    @State private var revision = 0

    private var myShifts: [MyShift] {
        let now = Date()
        return (try? model.pager?.myShifts(from: now, to: now.addingTimeInterval(30 * 86_400))) ?? []
    }

    private var schedules: [ScheduleInfo] {
        (try? model.pager?.schedules()) ?? []
    }

    var body: some View {
        NavigationStack {
            List {
                if let coverStatus {
                    Section {
                        Text(coverStatus).font(.callout)
                    }
                }
                if schedules.isEmpty {
                    Text("No schedules yet: pull to sync with the relay.").foregroundStyle(.secondary)
                }
                ForEach(schedules, id: \.id) { schedule in
                    ScheduleSection(schedule: schedule, covering: covering, revision: revision, cover: cover)
                }
                Section("My shifts (next 30 days)") {
                    if myShifts.isEmpty {
                        Text("No shifts.").foregroundStyle(.secondary)
                    }
                    ForEach(myShifts, id: \.start) { shift in
                        VStack(alignment: .leading) {
                            Text(shift.scheduleName ?? shift.schedule).font(.headline)
                            Text(ShiftText.span(start: shift.start, end: shift.end)).font(.caption)
                        }
                    }
                }
            }
            .navigationTitle("On call")
            .refreshable { await model.sync() }
        }
    }

    /// Puts this person on call in `schedule` for `[from, to)` on the relay
    /// (the call runs on core's runtime, not the main thread), then shows
    /// what happened and reads the roster again.
    private func cover(schedule: String, name: String, from: Date, to: Date) {
        covering = true
        coverStatus = "Covering \(name) from \(from.formatted(date: .abbreviated, time: .shortened))…"
        Task {
            let refusal = await model.cover(schedule: schedule, from: from, to: to)
            coverStatus = refusal ?? "You are on call in \(name): \(ShiftText.span(start: from, end: to))."
            covering = false
            revision += 1
        }
    }
}

/// One schedule: who is on call now, the next handoff, and the shifts of
/// the coming week, by name.
struct ScheduleSection: View {
    @EnvironmentObject private var model: PagerModel
    let schedule: ScheduleInfo
    /// A cover is on its way: the Cover buttons wait.
    let covering: Bool
    /// Changes after a cover, so the shifts are read from core again.
    let revision: Int
    /// Takes a shift: schedule id, its name, from, to.
    let cover: (String, String, Date, Date) -> Void
    /// "Cover from now" was tapped: how long.
    @State private var choosingLength = false

    private var name: String { schedule.name ?? schedule.id }

    var body: some View {
        let now = Date()
        let me = model.enrollment?.person
        let upcoming = ((try? model.pager?.roster(schedule: schedule.id, from: now, to: now.addingTimeInterval(7 * 86_400))) ?? [])
            .filter { $0.end > now }
            .prefix(6)
        Section(name) {
            if schedule.onCall.isEmpty {
                Text("Nobody on call now.").foregroundStyle(.secondary)
            }
            ForEach(schedule.onCall, id: \.id) { person in
                VStack(alignment: .leading) {
                    Text("Now: \(person.name)").font(.headline)
                    Text("until \(person.until.formatted(date: .abbreviated, time: .shortened))").font(.caption)
                }
            }
            if let handoff = schedule.nextHandoff {
                Text("Next: \(HandoffText.people(handoff.people)) from \(handoff.at.formatted(date: .abbreviated, time: .shortened))")
                    .font(.callout)
            }
            Button("Cover from now") { choosingLength = true }
                .disabled(covering)
                .confirmationDialog("Cover \(name) from now", isPresented: $choosingLength) {
                    Button("for 1 h") { cover(schedule.id, name, Date(), Date().addingTimeInterval(3_600)) }
                    Button("for 4 h") { cover(schedule.id, name, Date(), Date().addingTimeInterval(4 * 3_600)) }
                    if let handoff = schedule.nextHandoff, handoff.at > now, handoff.at.timeIntervalSince(now) <= 90 * 86_400 {
                        Button("until the next handoff") { cover(schedule.id, name, Date(), handoff.at) }
                    }
                }
            ForEach(Array(upcoming), id: \.self) { shift in
                HStack {
                    Text("\(shift.personName) — \(ShiftText.span(start: shift.start, end: shift.end))").font(.caption)
                    Spacer()
                    if shift.person != me {
                        Button("Cover") { cover(schedule.id, name, max(shift.start, Date()), shift.end) }
                            .buttonStyle(.borderless)
                            .disabled(covering)
                    }
                }
            }
            Text("Schedule time zone: \(schedule.timeZone); times in this iPhone's zone.")
                .font(.caption2).foregroundStyle(.secondary)
        }
    }
}

/// Words for who takes over at a handoff.
enum HandoffText {
    static func people(_ people: [Person]) -> String {
        people.isEmpty ? "nobody" : people.map(\.name).joined(separator: ", ")
    }
}

/// Words for a shift's span.
enum ShiftText {
    static func span(start: Date, end: Date) -> String {
        "\(start.formatted(date: .abbreviated, time: .shortened)) – \(end.formatted(date: .abbreviated, time: .shortened))"
    }
}
