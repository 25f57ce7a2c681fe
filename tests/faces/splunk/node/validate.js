#!/usr/bin/env node
// Validates Dashboard Studio definitions with Splunk's own packages, as Splunk Web's editor does:
// `DashboardValidator` from @splunk/dashboard-validation with the default schema of
// @splunk/dashboard-definition (no migration applied first: what we ship is what is checked), and
// each visualization's `options` against its options schema from @splunk/visualization-schemas
// (the dashboard schema accepts any options object, so a misspelt option would otherwise pass).
// It also lists the tokens the definition uses, found by @splunk/dashboard-utils' own extraction,
// so a caller can check each is set by an input.
//
//   node validate.js def1.json [def2.json ...]   each file holds one definition (the JSON inside
//   node validate.js < def.json                  a view's <definition><![CDATA[...]]>)
//
// Prints {"<file or ->": {"errors": null | [...], "tokens": [{namespace, name}, ...]}} and exits 0
// when every definition is valid, 1 when one is not, 2 on bad input.
'use strict';

const fs = require('fs');
const Ajv = require('ajv');
const { DashboardValidator } = require('@splunk/dashboard-validation');
const { defaultSchema } = require('@splunk/dashboard-definition');
const { extractTokensFromObject } = require('@splunk/dashboard-utils');
const viz = require('@splunk/visualization-schemas');

// The visualization types kassi's views may use, with their options schemas.
const OPTIONS_SCHEMAS = {
  'splunk.table': viz.tableOptionsSchema,
  'splunk.singlevalue': viz.singleValueOptionsSchema,
  'splunk.column': viz.columnOptionsSchema,
  'splunk.bar': viz.barOptionsSchema,
  'splunk.line': viz.lineOptionsSchema,
  'splunk.area': viz.areaOptionsSchema,
  'splunk.pie': viz.pieOptionsSchema,
  'splunk.markdown': viz.markdownOptionsSchema,
};

const ajv = new Ajv({ allErrors: true, strict: false });
const optionValidators = Object.fromEntries(
  Object.entries(OPTIONS_SCHEMAS).map(([type, properties]) => [
    type,
    ajv.compile({ type: 'object', properties, additionalProperties: false }),
  ]),
);

function visualizationErrors(definition) {
  const errors = [];
  for (const [name, visualization] of Object.entries(definition.visualizations || {})) {
    const check = optionValidators[visualization.type];
    if (!check) {
      errors.push({ instancePath: `/visualizations/${name}/type`, message: `no options schema for type ${visualization.type}` });
    } else if (!check(visualization.options || {})) {
      for (const error of check.errors) {
        errors.push({ ...error, instancePath: `/visualizations/${name}/options${error.instancePath}` });
      }
    }
  }
  return errors;
}

function validate(definition) {
  const validator = new DashboardValidator();
  const schemaError = validator.setSchema(defaultSchema);
  if (schemaError) throw schemaError;
  const errors = [...(validator.validate(definition) || []), ...visualizationErrors(definition)];
  return errors.length ? errors : null;
}

// Where a definition uses tokens (inputs define them in options.token, so they are not a use).
function tokensUsed(definition) {
  const used = ['dataSources', 'visualizations', 'defaults', 'expressions']
    .flatMap((part) => extractTokensFromObject(definition[part] || {}));
  const unique = new Map(used.map(({ namespace, name }) => [`${namespace}:${name}`, { namespace, name }]));
  return [...unique.values()];
}

function main(paths) {
  const sources = paths.length ? paths : ['-'];
  const results = {};
  for (const source of sources) {
    const text = fs.readFileSync(source === '-' ? 0 : source, 'utf8');
    const definition = JSON.parse(text);
    results[source] = { errors: validate(definition), tokens: tokensUsed(definition) };
  }
  process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
  return Object.values(results).every(({ errors }) => errors === null) ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`validate.js: ${error.message}\n`);
  process.exitCode = 2;
}
