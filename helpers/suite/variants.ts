import type { AxisValue } from '../render/values.ts'

/**
 * Storage modes of the Perses chart as matrix variants. File storage renders
 * a StatefulSet; SQL storage (file set to null) renders a Deployment. The SQL
 * settings are Perses's MySQL connection fields, which the Perses chart's
 * schema accepts.
 */
export const STORAGE_MODES: Record<string, Record<string, AxisValue>> = {
  file: {},
  sql: {
    'config.database.file': null,
    'config.database.sql': { user: 'perses', password: 'perses', net: 'tcp', addr: 'mysql:3306', db_name: 'perses' },
  },
}
