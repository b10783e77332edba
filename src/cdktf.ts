// The one place cdktf core symbols are imported from. cdktf is an archived project; a move to a
// fork (CDK Terrain) is a change to this file only.

export type { IAspect, ITerraformDependable } from "cdktf";
export {
  App,
  Aspects,
  dependable,
  Fn,
  GcsBackend,
  LocalBackend,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  Testing,
} from "cdktf";
