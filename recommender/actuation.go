package recommender

// Action is what an actuator did with one recommendation for one object.
type Action string

// Actions an actuator reports.
const (
	// ActionWritten: the object was changed.
	ActionWritten Action = "written"
	// ActionUnchanged: the object already held the recommendation.
	ActionUnchanged Action = "unchanged"
	// ActionDryRun: the object would have been changed; --dry-run kept it.
	ActionDryRun Action = "dry_run"
	// ActionSkipped: nothing to do or not allowed (mode off, not ready,
	// not opted in); Reason says which.
	ActionSkipped Action = "skipped"
	// ActionConflict: a person or another controller changed the field
	// after pacer; pacer backs off and reports it.
	ActionConflict Action = "conflict"
	// ActionFailed: the write failed; Reason holds the error.
	ActionFailed Action = "failed"
)

// Actuation is one actuator's outcome for one object in one cycle.
type Actuation struct {
	// Actuator names the actuator: "vpa", "hpa", "direct".
	Actuator string      `json:"actuator"`
	Workload WorkloadRef `json:"workload"`
	// Object is the object written, Kind/namespace/name.
	Object string `json:"object"`
	Action Action `json:"action"`
	Reason string `json:"reason,omitempty"`
}
