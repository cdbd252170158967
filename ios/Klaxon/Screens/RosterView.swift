import SwiftUI

/// Who is on call: now and next for every schedule the person can see
/// (core's `schedules()`, by name), and my own shifts, all from the roster
/// core synced.
struct RosterView: View {
    @EnvironmentObject private var model: PagerModel

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
                if schedules.isEmpty {
                    Text("No schedules yet: pull to sync with the relay.").foregroundStyle(.secondary)
                }
                ForEach(schedules, id: \.id) { schedule in
                    ScheduleSection(schedule: schedule)
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
}

/// One schedule: who is on call now, the next handoff, and the shifts of
/// the coming week, by name.
struct ScheduleSection: View {
    @EnvironmentObject private var model: PagerModel
    let schedule: ScheduleInfo

    var body: some View {
        let now = Date()
        let upcoming = ((try? model.pager?.roster(schedule: schedule.id, from: now, to: now.addingTimeInterval(7 * 86_400))) ?? [])
            .filter { $0.start > now }
            .prefix(3)
        Section(schedule.name ?? schedule.id) {
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
            ForEach(Array(upcoming), id: \.start) { shift in
                Text("\(shift.personName) — \(ShiftText.span(start: shift.start, end: shift.end))").font(.caption)
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
