// Package actuator will hold what turns recommendations into effects: VPA
// status, HPA targets, the external metrics API and reports, one
// subpackage each. It is empty until the first actuator lands; see
// DESIGN.md, section Actuation.
package actuator
