import SwiftUI

/// Who is on call: now and next per schedule, and my own shifts, all from
/// the roster core synced.
///
/// The bindings have no "list schedules" call, so the schedules shown are
/// the ones the person has shifts in plus any they add by id (kept in the
/// app's preferences).
struct RosterView: View {
    @EnvironmentObject private var model: PagerModel
    @AppStorage("klaxon.extraSchedules") private var extraSchedules = ""
    @State private var newSchedule = ""

    private var myShifts: [MyShift] {
        let now = Date()
        return (try? model.pager?.myShifts(from: now, to: now.addingTimeInterval(30 * 86_400))) ?? []
    }

    private var schedules: [String] {
        let added = extraSchedules.split(separator: ",").map(String.init)
        var seen = Set<String>()
        return (myShifts.map(\.schedule) + added).filter { seen.insert($0).inserted }
    }

    var body: some View {
        NavigationStack {
            List {
                ForEach(schedules, id: \.self) { schedule in
                    ScheduleSection(schedule: schedule)
                }
                Section("My shifts (next 30 days)") {
                    if myShifts.isEmpty {
                        Text("No shifts.").foregroundStyle(.secondary)
                    }
                    ForEach(myShifts, id: \.start) { shift in
                        VStack(alignment: .leading) {
                            Text(shift.schedule).font(.headline)
                            Text(ShiftText.span(start: shift.start, end: shift.end)).font(.caption)
                        }
                    }
                }
                Section("Show another schedule") {
                    HStack {
                        TextField("schedule id", text: $newSchedule)
                            .textInputAutocapitalization(.never)
                        Button("Add") {
                            let id = newSchedule.trimmingCharacters(in: .whitespaces)
                            guard !id.isEmpty else { return }
                            extraSchedules = (extraSchedules.isEmpty ? id : extraSchedules + "," + id)
                            newSchedule = ""
                        }
                    }
                }
            }
            .navigationTitle("On call")
            .refreshable { await model.sync() }
        }
    }
}

/// One schedule: who is on call now, and the next handoffs this week.
struct ScheduleSection: View {
    @EnvironmentObject private var model: PagerModel
    let schedule: String

    var body: some View {
        let now = Date()
        let onCall = (try? model.pager?.whoIsOnCall(schedule: schedule)) ?? []
        let upcoming = ((try? model.pager?.roster(schedule: schedule, from: now, to: now.addingTimeInterval(7 * 86_400))) ?? [])
            .filter { $0.start > now }
            .prefix(3)
        Section(schedule) {
            if onCall.isEmpty {
                Text("Nobody on call now (or not synced yet).").foregroundStyle(.secondary)
            }
            ForEach(onCall, id: \.id) { person in
                VStack(alignment: .leading) {
                    Text("Now: \(person.name)").font(.headline)
                    Text("until \(person.until.formatted(date: .abbreviated, time: .shortened))").font(.caption)
                }
            }
            ForEach(Array(upcoming), id: \.start) { shift in
                Text("Next: \(shift.person) — \(ShiftText.span(start: shift.start, end: shift.end))").font(.callout)
            }
        }
    }
}

/// Words for a shift's span.
enum ShiftText {
    static func span(start: Date, end: Date) -> String {
        "\(start.formatted(date: .abbreviated, time: .shortened)) – \(end.formatted(date: .abbreviated, time: .shortened))"
    }
}
