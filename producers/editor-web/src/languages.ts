import type { Extension } from '@codemirror/state';

/**
 * What the page knows per language: its highlighting (a parser loaded when the
 * language is first chosen, so the page does not carry all eight), a first
 * program, its main file, how to name a new file.
 */
export interface PageLanguage { label: string; mainFile: string; mode: () => Promise<Extension>; sample: string; newFile: (n: number) => string }

export const PAGE_LANGUAGES: Record<string, PageLanguage> = {
  python: {
    mainFile: 'main.py', label: 'Python', mode: async () => (await import('@codemirror/lang-python')).python(), newFile: (n) => `module${n}.py`,
    sample: 'name = input("What is your name? ")\nprint(f"Hello, {name}!")\n',
  },
  javascript: {
    mainFile: 'main.js', label: 'JavaScript', mode: async () => (await import('@codemirror/lang-javascript')).javascript(), newFile: (n) => `module${n}.js`,
    sample: 'console.log("Hello from Node", process.version);\n',
  },
  typescript: {
    mainFile: 'main.ts', label: 'TypeScript', mode: async () => (await import('@codemirror/lang-javascript')).javascript({ typescript: true }), newFile: (n) => `module${n}.ts`,
    sample: 'const greet = (who: string): string => `Hello from ${who}`;\nconsole.log(greet("TypeScript"));\n',
  },
  c: {
    mainFile: 'main.c', label: 'C', mode: async () => (await import('@codemirror/lang-cpp')).cpp(), newFile: (n) => `util${n}.h`,
    sample: '#include <stdio.h>\n\nint main(void) {\n    puts("Hello from C");\n    return 0;\n}\n',
  },
  'c++': {
    mainFile: 'main.cpp', label: 'C++', mode: async () => (await import('@codemirror/lang-cpp')).cpp(), newFile: (n) => `util${n}.hpp`,
    sample: '#include <iostream>\n\nint main() {\n    std::cout << "Hello from C++" << std::endl;\n}\n',
  },
  go: {
    mainFile: 'main.go', label: 'Go', mode: async () => (await import('@codemirror/lang-go')).go(), newFile: (n) => `util${n}.go`,
    sample: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello from Go")\n}\n',
  },
  rust: {
    mainFile: 'main.rs', label: 'Rust', mode: async () => (await import('@codemirror/lang-rust')).rust(), newFile: (n) => `util${n}.rs`,
    sample: 'fn main() {\n    println!("Hello from Rust");\n}\n',
  },
  java: {
    mainFile: 'Main.java', label: 'Java', mode: async () => (await import('@codemirror/lang-java')).java(), newFile: (n) => `Util${n}.java`,
    sample: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello from Java");\n    }\n}\n',
  },
};

export function pageLanguage(id: string): PageLanguage {
  return PAGE_LANGUAGES[id] ?? PAGE_LANGUAGES.python!;
}
