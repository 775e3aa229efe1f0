/**
 * The tools the agent offers the model (design.md §4: the CodeAct family
 * that OpenHands-trained models such as Skywork-SWE-32B know). A spec is the
 * model-facing description; both tool-call formats (native and text) are
 * generated from it.
 */

/** A JSON Schema subset: what tool parameters need. */
export interface ParameterSchema {
  type: 'string' | 'integer' | 'boolean' | 'array';
  description: string;
  enum?: readonly string[];
  items?: { type: 'integer' | 'string' } | ObjectSchema;
}

/** The items of a list of records (the review's comments). */
export interface ObjectSchema {
  type: 'object';
  properties: Record<string, { type: 'string' | 'integer' | 'boolean'; description: string; enum?: readonly string[] }>;
  required: readonly string[];
}

export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, ParameterSchema>;
  required: readonly string[];
}

/** One call the model made: the tool's name and its arguments as given. */
export interface ToolCall {
  /** The id the model (native format) or the parser (text format) gave the call. */
  id: string;
  name: string;
  /** Argument values as the model wrote them (strings in the text format). */
  arguments: Record<string, unknown>;
}
