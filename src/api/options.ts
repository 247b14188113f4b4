// Tunables of the control plane's API, with Cloud Foundry's defaults.

export interface ApiOptions {
  maxPoliciesPerApp: number;
  unproxiedPortMappings: boolean;
  bodyLimit: number;
  certificateValidityHours: number;
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  maxPoliciesPerApp: 150,
  unproxiedPortMappings: true,
  bodyLimit: 1024 * 1024,
  certificateValidityHours: 24,
};
