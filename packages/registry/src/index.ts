export { staticSource } from './static-source.js';
export type { StaticSource } from './static-source.js';
export { fileSource } from './file-source.js';
export type { FileSource, FileSourceOptions } from './file-source.js';
export { watchRuleFile } from './watch-rule-file.js';
export type { WatchRuleFileOptions } from './watch-rule-file.js';
export { parseInstance, parseInstanceList } from './parse-instances.js';
export type { InstanceInit } from './parse-instances.js';
export { InvalidInstanceError, isInvalidInstanceError } from './invalid-instance-error.js';
