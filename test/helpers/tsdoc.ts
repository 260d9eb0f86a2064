/**
 * Finds public symbols without TSDoc, using the TypeScript compiler API: every symbol a
 * module exports (re-exports and aliases resolved to their declarations) and, for exported
 * classes and interfaces, every public or protected member (not `private`, `#private` or `_`-named).
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";

/** One public symbol that has no TSDoc comment. */
export interface MissingDoc {
  /** Source file, relative to the root given to {@link findMissingDocs}. */
  file: string;
  /** 1-based line of the declaration. */
  line: number;
  /** `Name` or `Class.member`. */
  symbol: string;
}

/**
 * Docs live in our own files, and re-exports between them resolve without the standard
 * library or node_modules types, so leaving those out keeps the check well under a second.
 */
const FAST: ts.CompilerOptions = { noEmit: true, noLib: true, types: [], noResolve: true };

/** Loads the files the build compiles, from a tsconfig file (without lib and dependency types). */
export function loadProgram(tsconfigPath: string): ts.Program {
  const read = ts.readConfigFile(tsconfigPath, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(tsconfigPath));
  if (parsed.errors.length > 0) throw new Error(ts.formatDiagnostics(parsed.errors, ts.createCompilerHost({})));
  return ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, ...FAST } });
}

/**
 * The source entry files behind a package.json `exports` map: every `dist/X.d.ts` or
 * `dist/X.js` target under any condition maps back to `src/X.ts`.
 */
export function entrySources(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const targets: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(pkg.exports);
  const sources = targets
    .map((t) => /^\.\/dist\/(.+?)\.(?:d\.ts|js)$/.exec(t)?.[1])
    .filter((x): x is string => x !== undefined)
    .map((x) => join(root, "src", `${x}.ts`));
  return [...new Set(sources)];
}

const hasText = (comment: string | ts.NodeArray<ts.JSDocComment> | undefined): boolean =>
  (ts.getTextOfJSDocComment(comment) ?? "").trim() !== "";

/**
 * A non-empty TSDoc comment is attached to the declaration (for a variable, to its statement):
 * a summary, or a tag that says something (a constructor's `@param` lines are enough).
 */
function hasDoc(node: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(node).some((doc) =>
    ts.isJSDoc(doc) && (hasText(doc.comment) || (doc.tags ?? []).some((tag) => hasText(tag.comment))));
}

/** An overload implementation is hidden behind its signatures; only the signatures need docs. */
function isOverloadImplementation(decl: ts.Declaration, all: readonly ts.Declaration[]): boolean {
  return ts.isFunctionLike(decl) && "body" in decl && decl.body !== undefined && all.length > 1 &&
    all.some((d) => d !== decl && d.kind === decl.kind);
}

/**
 * A member marked `@inheritDoc` is documented when the checker finds the text it inherits
 * (from the interface it implements or the class it overrides).
 */
function inheritsDoc(member: ts.Node, checker: ts.TypeChecker): boolean {
  const marked = ts.getJSDocTags(member).some((tag) => /^inheritDoc$/i.test(tag.tagName.text));
  const name = (member as ts.NamedDeclaration).name;
  const symbol = marked && name ? checker.getSymbolAtLocation(name) : undefined;
  return symbol !== undefined && ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== "";
}

function memberName(member: ts.ClassElement | ts.TypeElement): string | undefined {
  if (ts.isConstructorDeclaration(member)) return "constructor";
  if (ts.isConstructSignatureDeclaration(member)) return "new";
  if (ts.isCallSignatureDeclaration(member)) return "(call)";
  if (!member.name) return undefined;
  if (ts.isPrivateIdentifier(member.name)) return undefined;
  return member.name.getText();
}

/** Public and protected members are API (subclasses see the protected ones); private are not. */
function isVisible(member: ts.ClassElement | ts.TypeElement): boolean {
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  return (flags & ts.ModifierFlags.Private) === 0;
}

/** Members of a class or interface that the public API shows and therefore must document. */
function documentedMembers(decl: ts.ClassLikeDeclaration | ts.InterfaceDeclaration): Array<[string, ts.Node]> {
  const out: Array<[string, ts.Node]> = [];
  const getters = new Set<string>();
  for (const m of decl.members) if (ts.isGetAccessorDeclaration(m)) getters.add(m.name.getText());
  const members = decl.members as ts.NodeArray<ts.ClassElement | ts.TypeElement>;
  for (const m of members) {
    if (ts.isIndexSignatureDeclaration(m) || ts.isClassStaticBlockDeclaration(m) || ts.isSemicolonClassElement(m)) continue;
    const name = memberName(m);
    if (name === undefined || name.startsWith("_") || !isVisible(m)) continue;
    if (ts.isConstructorDeclaration(m) && m.parameters.length === 0) continue;
    if (ts.isSetAccessorDeclaration(m) && getters.has(name)) continue; // the getter's doc covers it
    if (ts.isFunctionLike(m) && "body" in m && m.body !== undefined) {
      const siblings = members.filter((o) => o !== m && o.kind === m.kind && memberName(o) === name);
      if (siblings.length > 0) continue; // overload implementation
    }
    out.push([name, m]);
  }
  return out;
}

/**
 * Every public symbol of the given entry files that has no TSDoc, in source order.
 * Declarations outside `root/src` (re-exported dependency types) are not ours to document.
 */
export function findMissingDocs(program: ts.Program, entries: readonly string[], root: string): MissingDoc[] {
  const checker = program.getTypeChecker();
  const missing = new Map<string, MissingDoc>();
  const seen = new Set<ts.Symbol>();
  const ownFile = (sf: ts.SourceFile): boolean =>
    !sf.isDeclarationFile && !program.isSourceFileFromExternalLibrary(sf) && !sf.fileName.includes("/node_modules/");
  const report = (node: ts.Node, symbol: string): void => {
    const sf = node.getSourceFile();
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const file = relative(root, sf.fileName).split("\\").join("/");
    missing.set(`${file}:${line}:${symbol}`, { file, line, symbol });
  };

  const visitModule = (moduleSymbol: ts.Symbol): void => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (seen.has(target)) continue;
      seen.add(target);
      const decls = target.declarations ?? [];
      if (decls.length === 0) { // a re-export the program could not follow would otherwise pass unchecked
        report(exported.declarations?.[0] ?? moduleSymbol.declarations![0]!, `${exported.getName()} (unresolved re-export)`);
        continue;
      }
      if (decls.some((d) => ts.isSourceFile(d))) { visitModule(target); continue; } // `export * as ns`
      for (const decl of decls) {
        if (!ownFile(decl.getSourceFile()) || isOverloadImplementation(decl, decls)) continue;
        const name = target.getName();
        if (!hasDoc(decl)) report(decl, name);
        if (ts.isClassDeclaration(decl) || ts.isClassExpression(decl) || ts.isInterfaceDeclaration(decl)) {
          for (const [member, node] of documentedMembers(decl)) {
            if (!hasDoc(node) && !inheritsDoc(node, checker)) report(node, `${name}.${member}`);
          }
        }
      }
    }
  };

  for (const entry of entries) {
    const sf = program.getSourceFile(entry);
    if (!sf) throw new Error(`entry ${entry} is not part of the program`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (moduleSymbol) visitModule(moduleSymbol);
  }
  return [...missing.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Builds a program from in-memory sources (file name → text), for testing the checker itself. */
export function inMemoryProgram(files: Record<string, string>): ts.Program {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    ...FAST,
  };
  const host = ts.createCompilerHost(options);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name in files ? ts.createSourceFile(name, files[name]!, lang, true) : original(name, lang, ...rest);
  host.fileExists = (name) => name in files;
  host.readFile = (name) => files[name];
  host.directoryExists = (dir) => Object.keys(files).some((name) => name.startsWith(`${dir}/`));
  return ts.createProgram({ rootNames: Object.keys(files), options, host });
}
