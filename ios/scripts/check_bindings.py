#!/usr/bin/env python3
"""Checks that every part of the UniFFI bindings the iOS shell uses exists
in a freshly generated KlaxonCore.swift, so a change to the FFI surface that
would break the Swift build fails here, where there is no Swift compiler.

Both sides are read as syntax trees (tree-sitter Swift):

* the generated file gives the binding types (public structs, enums, classes
  and protocols outside UniFFI's own FfiConverter*/Uniffi* helpers) with
  their fields, methods (argument labels, return type), initialisers and
  enum cases;
* the shell's files give every use: type names (annotations, constructor
  calls, `Type.member`), member accesses on values whose type is known
  (parameters, annotated properties, `let x = try pager.method(...)`,
  `for`/`if let`/`guard let`/closure parameters over binding collections,
  key paths such as `\\.href`), method calls with their argument labels,
  memberwise initialisers with their labels, enum cases in `switch`,
  comparisons, arguments and annotated array literals, and the
  requirements of binding protocols the shell implements (NotificationSink).

A type name used by the shell must be declared by the bindings, by the shell
itself, or be one of the platform types listed in PLATFORM_TYPES (a new SDK
type goes there, visibly, in review).

Usage: check_bindings.py GENERATED_KlaxonCore.swift SWIFT_FILE...
Exit 0 when every use resolves; 1 with one line per broken use.
"""
import sys
from dataclasses import dataclass, field
from pathlib import Path

from swift_syntax import errors, parse, parse_generated, text, walk

# Apple SDK and Swift standard-library types the shell uses. Anything not
# here, not in the bindings and not declared in the shell is reported.
PLATFORM_TYPES = {
    "App", "AnyHashable", "Any", "Array", "AVAudioPlayer", "AVAudioSession", "BGAppRefreshTask",
    "BGAppRefreshTaskRequest", "BGTaskScheduler", "Binding", "Bool", "Bundle", "Button", "Color",
    "CustomStringConvertible", "Data", "Date", "Dictionary", "DispatchQueue", "Double", "EmptyView",
    "Environment", "EnvironmentObject", "Error", "FileManager", "FileProtectionType", "ForEach", "Form",
    "HStack", "Identifiable", "Int", "JSONSerialization", "Label", "LabeledContent", "List",
    "MainActor", "NavigationLink", "NavigationStack", "Never", "NSLock", "NSObject", "ObservableObject",
    "ProcessInfo", "Published", "ScenePhase", "Scene", "Section", "Self", "Set", "Spacer", "StateObject",
    "State", "Stepper", "String", "Task", "Text", "TextField", "TabView", "Timer", "TimeInterval",
    "Toggle", "UIApplication", "UIApplicationDelegate", "UIApplicationDelegateAdaptor",
    "UIBackgroundTaskIdentifier", "UIDevice", "UNAuthorizationOptions", "UNAuthorizationStatus",
    "UNMutableNotificationContent", "UNNotification", "UNNotificationAction", "UNNotificationActionOptions",
    "UNNotificationCategory",
    "UNNotificationContent", "UNNotificationInterruptionLevel", "UNNotificationPresentationOptions",
    "UNNotificationRequest", "UNNotificationResponse", "UNNotificationServiceExtension",
    "UNNotificationSetting", "UNNotificationSound", "UNNotificationSoundName", "UNUserNotificationCenter",
    "UNUserNotificationCenterDelegate", "URL", "UserDefaults", "VStack", "View", "WindowGroup",
    "WritableKeyPath", "AppStorage", "Value", "UNNotificationDefaultActionIdentifier", "Sendable",
    "Void", "Equatable", "UIBackgroundFetchResult", "UInt64", "CheckedContinuation",
}

# Swift names that look like types in expressions but are not, and the
# modules the shell imports (for qualified names such as `SwiftUI.Link`).
NOT_TYPES = {"Self"}
MODULES = {"AVFoundation", "BackgroundTasks", "Foundation", "Swift", "SwiftUI", "UIKit", "UserNotifications"}


@dataclass
class Callable:
    labels: tuple
    returns: str = ""


@dataclass
class TypeDecl:
    kind: str
    name: str
    fields: dict = field(default_factory=dict)     # name -> type
    methods: dict = field(default_factory=dict)    # name -> [Callable]
    inits: list = field(default_factory=list)      # [Callable]
    cases: set = field(default_factory=set)
    requirements: dict = field(default_factory=dict)  # protocol: name -> Callable


def same(a, b) -> bool:
    return b is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte and a.type == b.type


def child_index(parent, child) -> int:
    for i, candidate in enumerate(parent.children):
        if candidate.start_byte == child.start_byte and candidate.end_byte == child.end_byte \
                and candidate.type == child.type:
            return i
    return -1


def type_string(node) -> str:
    return "".join(text(node).split()) if node is not None else ""


def base(t: str) -> str:
    t = t.strip()
    while t.endswith("?") or t.endswith("!"):
        t = t[:-1]
    return t


def element(t: str) -> str:
    t = base(t)
    if t.startswith("[") and t.endswith("]") and ":" not in t:
        return t[1:-1]
    return ""


def parameters(node):
    """(labels, types) of a function/init declaration's parameters."""
    labels, types = [], []
    for child in node.children:
        if child.type != "parameter":
            continue
        external = child.child_by_field_name("external_name")
        names = [c for c in child.children_by_field_name("name")]
        internal = next((c for c in names if c.type == "simple_identifier"), None)
        ptype = next((c for c in names if c.type != "simple_identifier"), None)
        label = text(external) if external is not None else text(internal)
        labels.append(label)
        types.append((text(internal), type_string(ptype)))
    return tuple(labels), types


def return_type(node) -> str:
    names = [c for c in node.children_by_field_name("name") if c.type != "simple_identifier"]
    return type_string(names[-1]) if names else ""


def is_public(node) -> bool:
    mods = next((c for c in node.children if c.type == "modifiers"), None)
    return mods is not None and any(w in text(mods).split() for w in ("public", "open"))


def declarations(tree) -> dict:
    """The binding types of a generated KlaxonCore.swift."""
    types = {}
    for node in tree.root_node.children:
        if node.type not in ("class_declaration", "protocol_declaration") or not is_public(node):
            continue
        kind = text(node.child_by_field_name("declaration_kind")) or "protocol"
        name = text(node.child_by_field_name("name"))
        if kind == "extension" or name.startswith(("FfiConverter", "Uniffi")):
            continue
        decl = types.setdefault(name, TypeDecl(kind, name))
        body = node.child_by_field_name("body")
        for member in body.children if body is not None else []:
            if member.type == "property_declaration" and is_public(member):
                pattern = member.child_by_field_name("name")
                ident = pattern.child_by_field_name("bound_identifier") if pattern else None
                annotation = next((c for c in member.children if c.type == "type_annotation"), None)
                if ident is not None and annotation is not None:
                    decl.fields[text(ident)] = type_string(annotation.child_by_field_name("name"))
            elif member.type == "function_declaration" and is_public(member):
                labels, _ = parameters(member)
                fname = text(member.child_by_field_name("name"))
                decl.methods.setdefault(fname, []).append(Callable(labels, return_type(member)))
            elif member.type == "init_declaration" and is_public(member):
                labels, _ = parameters(member)
                decl.inits.append(Callable(labels, name))
            elif member.type == "enum_entry":
                for case in member.children_by_field_name("name"):
                    decl.cases.add(text(case).strip("`"))
            elif member.type == "protocol_function_declaration":
                labels, _ = parameters(member)
                fname = text(member.child_by_field_name("name"))
                decl.requirements[fname] = Callable(labels, return_type(member))
                decl.methods.setdefault(fname, []).append(Callable(labels, return_type(member)))
    return types


@dataclass
class Use:
    where: str
    what: str
    ok: bool
    why: str = ""


class ShellChecker:
    """Walks the shell's trees and records every use of the bindings."""

    def __init__(self, bindings: dict, trees: dict):
        self.bindings = bindings
        self.trees = trees
        self.uses = []
        self.shell_types = {}   # name -> {property: type}
        self.shell_funcs = {}   # (type or "", name) -> [(labels, param types, return)]
        for tree in trees.values():
            self._collect_shell_types(tree.root_node, None)

    # --- the shell's own declarations -------------------------------------------
    def _collect_shell_types(self, node, owner):
        for child in node.children:
            if child.type in ("class_declaration", "protocol_declaration"):
                name = text(child.child_by_field_name("name"))
                kind = text(child.child_by_field_name("declaration_kind"))
                props = self.shell_types.setdefault(name, {})
                body = child.child_by_field_name("body")
                if body is not None:
                    for member in body.children:
                        if member.type == "property_declaration":
                            pattern = member.child_by_field_name("name")
                            ident = pattern.child_by_field_name("bound_identifier") if pattern else None
                            ann = next((c for c in member.children if c.type == "type_annotation"), None)
                            if ident is not None:
                                ptype = type_string(ann.child_by_field_name("name")) if ann else ""
                                if not ptype:
                                    ptype = self._literal_type(member.child_by_field_name("value"))
                                props[text(ident)] = ptype
                    self._collect_shell_types(body, name if kind != "extension" else name)
            elif child.type == "function_declaration":
                labels, ptypes = parameters(child)
                fname = text(child.child_by_field_name("name"))
                self.shell_funcs.setdefault((owner or "", fname), []).append(
                    (labels, ptypes, return_type(child)))

    def _literal_type(self, value):
        # `let alarm = AlarmPlayer()`, `static let shared = PagerModel()`
        if value is not None and value.type == "call_expression":
            callee = value.children[0]
            if callee.type == "simple_identifier" and text(callee)[:1].isupper():
                return text(callee)
        return ""

    # --- recording ---------------------------------------------------------------
    def record(self, file, node, what, ok, why=""):
        self.uses.append(Use(f"{file}:{node.start_point.row + 1}", what, ok, why))

    def check_type_name(self, file, node, name):
        if name in self.bindings:
            self.record(file, node, f"type {name}", True)
        elif name not in self.shell_types and name not in PLATFORM_TYPES and name not in NOT_TYPES \
                and name not in MODULES:
            self.record(file, node, f"type {name}", False,
                        "not declared by the bindings, the shell, or PLATFORM_TYPES")

    def check_member(self, file, node, owner, member, call_labels=None, meta=False):
        """`owner.member` (a value of binding type `owner`, or the type itself when meta)."""
        decl = self.bindings[owner]
        what = f"{owner}.{member}" + (f"({''.join(l + ':' for l in call_labels)})" if call_labels is not None else "")
        if meta and member in decl.cases:
            self.record(file, node, f"case {owner}.{member}", True)
            return owner
        if member in decl.fields and call_labels is None:
            self.record(file, node, what, True)
            return decl.fields[member]
        if member in decl.methods:
            overloads = decl.methods[member]
            if call_labels is None:
                self.record(file, node, what, True)
                return overloads[0].returns
            for candidate in overloads:
                if tuple(call_labels) == tuple(candidate.labels):
                    self.record(file, node, what, True)
                    return candidate.returns
            self.record(file, node, what, False,
                        "argument labels differ from " + ", ".join(
                            f"{member}({''.join(l + ':' for l in c.labels)})" for c in overloads))
            return ""
        if member in decl.fields and call_labels is not None:
            # Calling a closure-typed field is not something the bindings have.
            self.record(file, node, what, False, "is a field, not a method")
            return ""
        self.record(file, node, what, False, f"{owner} has no member {member}")
        return ""

    def check_case(self, file, node, enum, case):
        decl = self.bindings.get(base(enum))
        if decl is None or decl.kind != "enum":
            return
        ok = case in decl.cases
        self.record(file, node, f"case {decl.name}.{case}", ok, "" if ok else f"{decl.name} has no case {case}")

    # --- expressions ---------------------------------------------------------------
    def type_of(self, file, node, env, owner):
        """The binding type (as written, e.g. `[Alert]`, `Enrollment?`) of an
        expression, checking every binding member on the way; "" when unknown.
        A leading "type:" means the expression is a type itself."""
        kind = node.type
        if kind in ("try_expression", "await_expression"):
            inner = node.child_by_field_name("expr")
            return self.type_of(file, inner, env, owner) if inner is not None else ""
        if kind in ("parenthesized_expression", "tuple_expression") and node.named_child_count == 1:
            return self.type_of(file, node.named_children[0], env, owner)
        if kind == "simple_identifier":
            name = text(node)
            if name in env:
                return env[name]
            if owner and name in self.shell_types.get(owner, {}):
                return self.shell_types[owner][name]
            if name in self.bindings:
                self.record(file, node, f"type {name}", True)
                return "type:" + name
            if name[:1].isupper() and name in self.shell_types:
                return "type:" + name
            if name[:1].isupper():
                self.check_type_name(file, node, name)
            return ""
        if kind == "self_expression":
            return owner or ""
        if kind == "navigation_expression":
            return self.navigation(file, node, env, owner, None)
        if kind == "call_expression":
            return self.call(file, node, env, owner)
        if kind == "nil_coalescing_expression":
            value = node.child_by_field_name("value")
            fallback = node.child_by_field_name("if_nil")
            if fallback is not None:
                self.visit(file, fallback, env, owner)
            return base(self.type_of(file, value, env, owner)) if value is not None else ""
        # Anything else: no type, but its parts may use the bindings.
        self.visit(file, node, env, owner)
        return ""

    def navigation(self, file, node, env, owner, call_labels):
        target = node.child_by_field_name("target")
        suffix = node.child_by_field_name("suffix")
        member_node = suffix.child_by_field_name("suffix") if suffix is not None else None
        if member_node is None or member_node.type != "simple_identifier":
            return ""
        member = text(member_node)
        if target is None:
            return ""
        if target.type == "key_path_expression":
            root = next((c for c in target.children if c.type == "type_identifier"), None)
            if root is not None and text(root) in self.bindings:
                self.record(file, root, f"type {text(root)}", True)
                return self.check_member(file, node, text(root), member)
            if root is not None:
                self.check_type_name(file, root, text(root))
            return ""  # `\.member`: checked where the collection is known
        ttype = self.type_of(file, target, env, owner)
        if ttype.startswith("type:"):
            tname = ttype[5:]
            if tname in self.bindings:
                return self.check_member(file, node, tname, member, call_labels, meta=True)
            if tname in self.shell_types and call_labels is not None:
                return self.shell_return(tname, member)
            return ""
        btype = base(ttype)
        if btype in self.bindings:
            return self.check_member(file, node, btype, member, call_labels)
        if btype in self.shell_types:
            return self.shell_types[btype].get(member, "") if call_labels is None else \
                self.shell_return(btype, member)
        return ""

    def shell_return(self, owner, name):
        funcs = self.shell_funcs.get((owner, name))
        return funcs[0][2] if funcs else ""

    def call(self, file, node, env, owner):
        callee = node.children[0]
        suffix = next((c for c in node.children if c.type == "call_suffix"), None)
        args = []
        lambda_node = None
        if suffix is not None:
            value_args = next((c for c in suffix.children if c.type == "value_arguments"), None)
            if value_args is not None:
                args = [c for c in value_args.children if c.type == "value_argument"]
            lambda_node = next((c for c in suffix.children if c.type == "lambda_literal"), None)
        labels = []
        for arg in args:
            label = arg.child_by_field_name("name")
            labels.append(text(label) if label is not None else "_")

        result = ""
        param_types = []
        if callee.type == "navigation_expression":
            result = self.navigation(file, callee, env, owner, labels)
            # collection helpers: closures / key paths over the elements
            target = callee.child_by_field_name("target")
            ctype = self.type_of(file, target, env, owner) if target is not None else ""
            elem = element(ctype)
            method = text(callee.child_by_field_name("suffix")).lstrip(".")
            if elem and method in ("map", "filter", "first", "contains", "compactMap", "sorted", "allSatisfy"):
                self.bind_elements(file, args, lambda_node, elem, env, owner)
                if method == "filter" or method == "sorted":
                    result = ctype
                elif method == "first":
                    result = elem + "?"
            decl = self.bindings.get(base(ctype))
            if decl is not None:
                for c in decl.methods.get(method, []):
                    if tuple(c.labels) == tuple(labels):
                        param_types = self.method_param_types(decl.name, method, labels)
        elif callee.type == "simple_identifier":
            name = text(callee)
            if name in self.bindings:
                result = self.construct(file, node, name, labels)
                decl = self.bindings[name]
                param_types = [decl.fields.get(l, "") for l in labels] if decl.kind == "struct" else []
            elif name == "ForEach" and args:
                first = self.type_of(file, args[0].child_by_field_name("value"), env, owner)
                elem = element(first) or element(base(first))
                if elem:
                    self.bind_elements(file, args[1:], lambda_node, elem, env, owner)
                args = args[1:]
            elif name[:1].isupper():
                self.check_type_name(file, callee, name)
            elif (owner or "", name) in self.shell_funcs:
                result = self.shell_funcs[(owner or "", name)][0][2]
        elif callee.type == "prefix_expression":
            pass  # `.criticalSoundNamed(...)`: the platform's
        # argument values: check them, and implicit enum cases against the parameter type
        for i, arg in enumerate(args):
            value = arg.child_by_field_name("value")
            if value is None:
                continue
            expected = param_types[i] if i < len(param_types) else ""
            if expected:
                self.expect(file, value, expected, env, owner)
            self.visit(file, value, env, owner)
        if lambda_node is not None and not (callee.type == "simple_identifier" and text(callee) == "ForEach"):
            self.visit(file, lambda_node, dict(env), owner)
        return result

    def method_param_types(self, owner, method, labels):
        # parameter types of a generated method: recovered from the declaration
        return self.bindings[owner].__dict__.get("_ptypes", {}).get((method, tuple(labels)), [])

    def construct(self, file, node, name, labels):
        decl = self.bindings[name]
        what = f"{name}({''.join(l + ':' for l in labels)})"
        inits = decl.inits or ([Callable(tuple(decl.fields), name)] if decl.kind == "struct" else [])
        ok = any(tuple(labels) == tuple(c.labels) for c in inits)
        self.record(file, node, what, ok, "" if ok else "no initialiser with these labels; declared: " +
                    ", ".join(f"{name}({''.join(l + ':' for l in c.labels)})" for c in inits))
        return name

    def bind_elements(self, file, args, lambda_node, elem, env, owner):
        """Key paths (`\\.href`) and closure parameters over a binding collection."""
        for arg in args:
            value = arg.child_by_field_name("value")
            if value is not None and value.type == "navigation_expression":
                target = value.child_by_field_name("target")
                if target is not None and target.type == "key_path_expression" and base(elem) in self.bindings:
                    member = text(value.child_by_field_name("suffix")).lstrip(".")
                    self.check_member(file, value, base(elem), member)
        if lambda_node is not None:
            inner = dict(env)
            params = [n for n in walk(lambda_node) if n.type == "lambda_parameter"]
            if params:
                ident = params[0].child_by_field_name("name")
                if ident is not None:
                    inner[text(ident)] = elem
            inner["$0"] = elem
            self.visit(file, lambda_node, inner, owner)

    def expect(self, file, value, expected, env, owner):
        """An expression in a place of known binding type: implicit enum cases."""
        if value.type == "prefix_expression" and text(value).startswith("."):
            target = value.child_by_field_name("target")
            if target is not None and target.type == "simple_identifier":
                self.check_case(file, value, expected, text(target))
        elif value.type == "ternary_expression":
            for side in ("if_true", "if_false"):
                branch = value.child_by_field_name(side)
                if branch is not None:
                    self.expect(file, branch, expected, env, owner)
        elif value.type == "array_literal" and element(expected):
            for item in value.children_by_field_name("element"):
                self.expect(file, item, element(expected), env, owner)

    # --- statements ------------------------------------------------------------------
    def visit(self, file, node, env, owner):
        kind = node.type
        if kind == "import_declaration":
            return
        if kind in ("class_declaration", "protocol_declaration"):
            name = text(node.child_by_field_name("name"))
            self.check_conformance(file, node, name)
            for child in node.children:
                if child.type == "inheritance_specifier":
                    self.visit_types(file, child)
            body = node.child_by_field_name("body")
            if body is not None:
                for child in body.children:
                    self.visit(file, child, {}, name)
            return
        if kind in ("function_declaration", "init_declaration"):
            inner = dict(env)
            _, ptypes = parameters(node)
            for pname, ptype in ptypes:
                inner[pname] = ptype
            for child in node.children:
                if child.type in ("parameter", "user_type", "optional_type", "array_type"):
                    self.visit_types(file, child)
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit(file, body, inner, owner)
            return
        if kind in ("user_type",):
            self.visit_types(file, node)
            return
        if kind == "property_declaration":
            ann = next((c for c in node.children if c.type == "type_annotation"), None)
            value = node.child_by_field_name("value")
            pattern = node.child_by_field_name("name")
            ident = pattern.child_by_field_name("bound_identifier") if pattern is not None else None
            declared = ""
            if ann is not None:
                declared = type_string(ann.child_by_field_name("name"))
                self.visit_types(file, ann)
            if value is not None:
                vtype = self.type_of(file, value, env, owner)
                if declared:
                    self.expect(file, value, declared, env, owner)
                if value.type not in ("call_expression", "navigation_expression"):
                    self.visit(file, value, env, owner)
                elif value.type == "navigation_expression":
                    pass
                declared = declared or (vtype if not vtype.startswith("type:") else "")
            for child in node.children:
                if child.type in ("computed_value", "computed_property"):
                    self.visit(file, child, env, owner)
            if ident is not None:
                env[text(ident)] = declared
            return
        if kind in ("if_statement", "guard_statement"):
            # `if let x = expr, cond`: tree-sitter lists the binding pattern,
            # then the bound name, then the value, all as children in order.
            target_env = env if kind == "guard_statement" else dict(env)
            pending_name = None
            assigned = False
            for child in node.children:
                field_name = node.field_name_for_child(child_index(node, child))
                if not child.is_named and text(child) == "=" and pending_name is not None:
                    assigned = True
                    continue
                if not child.is_named or (child.type == "value_binding_pattern" and field_name == "condition"):
                    continue
                if pending_name is not None and not assigned:
                    # `if let pager,` (Swift 5.7 shorthand): the name keeps its own type.
                    own = self.type_of(file, pending_node, target_env, owner)
                    target_env[pending_name] = base(own) if not own.startswith("type:") else ""
                    pending_name = None
                if field_name == "bound_identifier":
                    pending_name = text(child)
                    pending_node = child
                    assigned = False
                    continue
                if field_name == "condition":
                    ctype = self.type_of(file, child, target_env, owner)
                    self.visit(file, child, target_env, owner)
                    if pending_name is not None:
                        target_env[pending_name] = base(ctype) if not ctype.startswith("type:") else ""
                        pending_name = None
                    continue
                self.visit(file, child, target_env, owner)
            if pending_name is not None and not assigned:
                own = self.type_of(file, pending_node, target_env, owner)
                target_env[pending_name] = base(own) if not own.startswith("type:") else ""
            return
        if kind == "for_statement":
            collection = node.child_by_field_name("collection")
            item = node.child_by_field_name("item")
            ctype = self.type_of(file, collection, env, owner) if collection is not None else ""
            inner = dict(env)
            ident = item.child_by_field_name("bound_identifier") if item is not None else None
            if ident is not None:
                inner[text(ident)] = element(ctype)
            for child in node.children:
                if not any(same(child, n) for n in (collection, item)):
                    self.visit(file, child, inner, owner)
            return
        if kind == "switch_statement":
            subject = node.child_by_field_name("expr")
            stype = self.type_of(file, subject, env, owner) if subject is not None else ""
            decl = self.bindings.get(base(stype))
            for entry in node.children:
                if entry.type != "switch_entry":
                    continue
                for pattern in entry.children:
                    if pattern.type == "switch_pattern" and decl is not None and decl.kind == "enum":
                        source = text(pattern).lstrip()
                        first = next((n for n in walk(pattern) if n.type == "simple_identifier"), None)
                        if source.startswith(".") and first is not None:
                            self.check_case(file, pattern, decl.name, text(first))
                    elif pattern.type == "statements":
                        self.visit(file, pattern, env, owner)
            return
        if kind in ("equality_expression", "infix_expression"):
            op = node.child_by_field_name("op")
            lhs, rhs = node.child_by_field_name("lhs"), node.child_by_field_name("rhs")
            if lhs is not None and rhs is not None and (op is None or text(op) in ("==", "!=")):
                ltype = self.type_of(file, lhs, env, owner)
                self.expect(file, rhs, ltype, env, owner)
                self.visit(file, rhs, env, owner)
                return
        if kind == "assignment":
            target = node.child_by_field_name("target")
            result = node.child_by_field_name("result")
            if target is not None and result is not None:
                expr = target.named_children[0] if target.named_child_count else target
                ttype = self.type_of(file, expr, env, owner)
                self.expect(file, result, ttype, env, owner)
                self.type_of(file, result, env, owner)
                self.visit(file, result, env, owner)
                return
        if kind in ("call_expression", "navigation_expression", "simple_identifier"):
            self.type_of(file, node, env, owner)
            if kind == "navigation_expression":
                target = node.child_by_field_name("target")
                if target is not None and target.type not in ("simple_identifier", "navigation_expression",
                                                              "call_expression", "key_path_expression"):
                    self.visit(file, target, env, owner)
            return
        if kind == "lambda_literal":
            inner = dict(env)
            for param in (n for n in walk(node) if n.type == "lambda_parameter"):
                names = param.children_by_field_name("name")
                ident = next((n for n in names if n.type == "simple_identifier"), None)
                ptype = next((n for n in names if n.type != "simple_identifier"), None)
                if ident is not None and text(ident) not in inner:
                    inner[text(ident)] = type_string(ptype)
            for child in node.children:
                self.visit(file, child, inner, owner)
            return
        if kind in ("as_expression", "catch_block", "type_annotation", "optional_type", "array_type"):
            self.visit_types(file, node)
        for child in node.children:
            self.visit(file, child, env, owner)

    def visit_types(self, file, node):
        for n in walk(node):
            if n.type == "user_type":
                idents = [c for c in n.children if c.type == "type_identifier"]
                if len(idents) == 1:
                    self.check_type_name(file, n, text(idents[0]))

    def check_conformance(self, file, node, name):
        """A shell type that adopts a binding protocol must implement every
        requirement with the same argument labels."""
        for spec in (c for c in node.children if c.type == "inheritance_specifier"):
            proto = text(spec).strip()
            decl = self.bindings.get(proto)
            if decl is None or decl.kind != "protocol":
                continue
            implemented = {}
            body = node.child_by_field_name("body")
            for member in body.children if body is not None else []:
                if member.type == "function_declaration":
                    labels, _ = parameters(member)
                    implemented[text(member.child_by_field_name("name"))] = labels
            for req, callable_ in decl.requirements.items():
                ok = implemented.get(req) == tuple(callable_.labels)
                self.record(file, node, f"{name} implements {proto}.{req}", ok,
                            "" if ok else "requirement missing or its labels differ")

    def run(self):
        for file, tree in self.trees.items():
            self.visit(file, tree.root_node, {}, None)
        return self.uses


def attach_param_types(bindings, tree):
    """Parameter types of generated methods, for implicit enum cases in arguments."""
    for node in tree.root_node.children:
        if node.type != "class_declaration":
            continue
        name = text(node.child_by_field_name("name"))
        decl = bindings.get(name)
        body = node.child_by_field_name("body")
        if decl is None or body is None:
            continue
        table = decl.__dict__.setdefault("_ptypes", {})
        for member in body.children:
            if member.type == "function_declaration":
                labels, ptypes = parameters(member)
                table[(text(member.child_by_field_name("name")), labels)] = [t for _, t in ptypes]


def check(generated: Path, shell_files: list, verbose=False):
    """(failures, uses) for the shell against one generated bindings file."""
    gtree = parse_generated(generated)
    bindings = declarations(gtree)
    attach_param_types(bindings, gtree)
    for expected in ("Pager", "NotificationPlan", "NotificationSink"):
        if expected not in bindings:
            # The file is not UniFFI's output for Klaxon any more: say so
            # rather than report every use.
            return [f"{generated}: no public {expected} declaration found"], []
    trees = {}
    for path in shell_files:
        tree = parse(Path(path).read_bytes())
        if errors(tree.root_node):
            return [f"{path}: does not parse (run the parse check)"], []
        trees[str(path)] = tree
    uses = ShellChecker(bindings, trees).run()
    failures = [f"{u.where}: {u.what}: {u.why}" for u in uses if not u.ok]
    return failures, uses


def main(argv) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    if len(args) < 2:
        print(__doc__)
        return 2
    generated, shell = Path(args[0]), args[1:]
    failures, uses = check(generated, shell)
    distinct = sorted({u.what for u in uses if u.ok})
    if verbose:
        for what in distinct:
            print("  uses", what)
    for line in failures:
        print("BROKEN", line)
    print(f"check_bindings: {len(uses)} uses of the bindings checked ({len(distinct)} distinct), "
          f"{len(failures)} broken, against {generated}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
