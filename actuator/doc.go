// Package actuator holds what turns recommendations into effects, one
// subpackage each: report (the dry-run report in every format, and the live
// dashboard), vpa (the status of VPAs that name pacer), hpa (the targets of
// opted-in HPAs), direct (the workloads themselves, in direct mode),
// external (the external metrics API for HPAs) and metrics (pacer's own
// Prometheus metrics). See DESIGN.md, section Actuation.
package actuator
