const fs = require("fs");
const i = require("@foxglove/schemas/internal");
const enums = Object.values(i.foxgloveEnumSchemas);
for (const [name, schema] of Object.entries(i.foxgloveMessageSchemas)) {
  const nested = enums.filter((e) => e.parentSchemaName === name);
  fs.writeFileSync(`proto/foxglove/${name}.proto`, i.generateProto(schema, nested));
}
