// Package actuator holds what turns recommendations into effects, one
// subpackage each: report (the dry-run report in every format, and the live
// dashboard); VPA status, HPA targets and the external metrics API follow.
// See DESIGN.md, section Actuation.
package actuator
