package demo

import _ "embed"

// Policy is the policy file pacer demo evaluates: the default policy with
// its windows scaled down so that recommendations appear within a minute.
//
//go:embed policy.yaml
var Policy []byte

// PolicyName names Policy in messages.
const PolicyName = "demo/policy.yaml (built in)"
