import { pleoRoutes } from "@/lib/pleo-server";

export async function POST(request: Request): Promise<Response> {
  return (await pleoRoutes()).exchange(request);
}
